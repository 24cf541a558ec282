"""Look-alikes of five kinds of real export, made up row by row: the shapes analysts bring, not their data.

Each function returns the CSV text of a small file (60 rows, seeded, so every number in a test is fixed):
an airline passenger survey (an index column, an id, 0–5 ratings where 0 is "not rated", a satisfied / not
outcome), airline reviews (a ReviewID, a 1–10 overall rating, 1–5 sub-ratings with blanks, a title and a
body, ordinal dates such as "19th November 2023"), e-commerce orders (a hash id, one 1–5 review score,
item quantities and nine `votes_*` counts, money amounts, purchase / estimated / delivered dates, a
comment title and message), a telecom churn file (no ratings at all: flags, tenure, charges, Churn Yes/No)
and seat reviews (no id column, 1–10 overall, 0–5 sub-ratings, recommended 0/1).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

ROWS = 60
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _sentence(rng: random.Random, words: int) -> str:
    vocabulary = ("the", "seat", "staff", "was", "very", "friendly", "food", "cold", "late", "boarding", "slow",
                  "clean", "lounge", "crowded", "service", "excellent", "poor", "delay", "again", "never")
    return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "."


def airline_survey() -> str:
    rng = random.Random(1)
    services = ("Inflight wifi service", "Ease of Online booking", "Online boarding", "Seat comfort",
                "Baggage handling")
    header = ["Unnamed: 0", "id", "Gender", "Customer Type", "Age", "Type of Travel", "Class", "Flight Distance",
              *services, "Departure Delay in Minutes", "Arrival Delay in Minutes", "satisfaction"]
    rows = []
    for i in range(ROWS):
        ratings = [rng.randint(0, 5) if k < 4 else rng.randint(1, 5) for k in range(len(services))]
        delay = rng.choice((0, 0, 0, 5, 12, 45, 130))
        rows.append([i, 70_000 + 37 * i, rng.choice(("Male", "Female")), rng.choice(("Loyal Customer",
                     "disloyal Customer")), rng.randint(7, 85), rng.choice(("Business travel", "Personal Travel")),
                     rng.choice(("Eco", "Eco Plus", "Business")), rng.randint(31, 4983), *ratings, delay,
                     f"{delay + rng.choice((0, 3, -2)) if delay > 2 else 0}.0",
                     rng.choice(("satisfied", "neutral or dissatisfied"))])
    return _csv(header, rows)


def airline_reviews() -> str:
    rng = random.Random(2)
    subs = ("SeatComfort", "CabinStaffService", "GroundService", "ValueForMoney", "Wifi&Connectivity")
    header = ["ReviewID", "OverallRating", "ReviewHeader", "Name", "Datetime", "VerifiedReview", "ReviewBody",
              "TypeOfTraveller", "SeatType", "Route", "DateFlown", *subs, "Recommended"]
    rows = []
    for i in range(ROWS):
        day = date(2023, 1, 1) + timedelta(days=5 * i)
        flown = day - timedelta(days=20)
        ratings = [None if rng.random() < 0.15 else f"{rng.randint(1, 5)}.0" for _ in subs]
        rows.append([f"R{1000 + i}", rng.randint(1, 10), f'"{_sentence(rng, 3)[:-1]}"', f"Reviewer {i % 41}",
                     f"{_ordinal(day.day)} {MONTHS[day.month - 1]} {day.year}", rng.choice(("True", "False")),
                     _sentence(rng, 40 + rng.randint(0, 30)), rng.choice(("Solo Leisure", "Couple Leisure",
                                                                          "Business", "Family Leisure")),
                     rng.choice(("Economy Class", "Business Class", "Premium Economy")),
                     rng.choice(("London to Paris", "Madrid to London", "London to New York", "Rome to London")),
                     f"{MONTHS[flown.month - 1]} {flown.year}", *ratings, rng.choice(("yes", "no"))])
    return _csv(header, rows)


VOTES = ("votes_before_estimate", "votes_delayed", "votes_low_quality", "votes_return", "votes_not_as_anounced",
         "votes_partial_delivery", "votes_other_delivery", "votes_other_order", "votes_satisfied")


def ecommerce_orders() -> str:
    rng = random.Random(3)
    header = ["order_id", "customer_unique_id", "order_status", "order_purchase_timestamp",
              "order_estimated_delivery_date", "order_delivered_customer_date", "order_items_qty",
              "order_products_value", "order_freight_value", "customer_state", "review_score", "review_comment_title",
              "review_comment_message", *VOTES, "most_voted_class"]
    rows = []
    for i in range(ROWS):
        bought = date(2017, 3, 1) + timedelta(days=3 * i)
        estimated = bought + timedelta(days=20)
        late = i % 4 == 0
        delivered = estimated + timedelta(days=rng.randint(1, 9)) if late else bought + timedelta(
            days=rng.randint(5, 19))
        score = rng.choice((1, 1, 2, 3)) if late else rng.choice((3, 4, 5, 5, 5))
        rows.append([f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(128):032x}" if i % 7 else "c0ffee",
                     "delivered", f"{bought} {rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}:00",
                     f"{estimated} 00:00:00", f"{delivered} {rng.randint(8, 20):02d}:15:00", rng.randint(1, 4),
                     f"{rng.uniform(20, 900):.2f}", f"{rng.uniform(5, 60):.2f}", rng.choice(("SP", "RJ", "MG", "PR")),
                     score, None if i % 3 else "recomendo", _sentence(rng, 12 + rng.randint(0, 20)),
                     *[rng.choice((0, 0, 0, 1, 2, 3)) for _ in VOTES], rng.choice(("satisfeito", "problemas"))])
    return _csv(header, rows)


def telecom_churn() -> str:
    rng = random.Random(4)
    header = ["customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
              "InternetService", "Contract", "PaperlessBilling", "PaymentMethod", "MonthlyCharges", "TotalCharges",
              "Churn"]
    rows = []
    for i in range(ROWS):
        tenure = rng.randint(0, 72)
        monthly = rng.uniform(18.25, 118.75)
        rows.append([f"{7590 + i}-{''.join(rng.choice('ABCDEFGHJK') for _ in range(5))}", rng.choice(("Male",
                     "Female")), rng.choice((0, 0, 0, 1)), rng.choice(("Yes", "No")), rng.choice(("Yes", "No")),
                     tenure, rng.choice(("Yes", "No")), rng.choice(("DSL", "Fiber optic", "No")),
                     rng.choice(("Month-to-month", "One year", "Two year")), rng.choice(("Yes", "No")),
                     rng.choice(("Electronic check", "Mailed check", "Bank transfer (automatic)",
                                 "Credit card (automatic)")), f"{monthly:.2f}",
                     " " if tenure == 0 else f"{monthly * tenure:.2f}", rng.choice(("Yes", "No", "No"))])
    return _csv(header, rows)


def seat_reviews() -> str:
    rng = random.Random(5)
    subs = ("seat_legroom_rating", "seat_recline_rating", "seat_width_rating", "aisle_space_rating",
            "viewing_tv_rating")
    header = ["airline_name", "link", "title", "author", "author_country", "date", "content", "aircraft",
              "seat_layout", "date_flown", "cabin_flown", "type_traveller", "overall_rating", *subs, "recommended"]
    rows = []
    for i in range(ROWS):
        airline = rng.choice(("air-france", "british-airways", "emirates", "qantas"))
        day = date(2014, 1, 1) + timedelta(days=7 * i)
        rows.append([airline, f"/seat-reviews/{airline}", f"{airline.replace('-', ' ').title()} seat review",
                     f"Author {i % 37}", rng.choice(("France", "United Kingdom", "Australia")), day.isoformat(),
                     _sentence(rng, 30 + rng.randint(0, 40)), rng.choice(("A380", "B777", "A330")),
                     rng.choice(("3x4x3", "2x4x2", "3x3x3")), None, rng.choice(("Economy", "Business Class")),
                     rng.choice(("Solo Leisure", "Couple Leisure", "Business")), rng.randint(1, 10),
                     *[rng.randint(0, 5) for _ in subs], rng.choice((0, 1))])
    return _csv(header, rows)


EXPORTS = {"airline survey": airline_survey, "airline reviews": airline_reviews, "e-commerce orders":
           ecommerce_orders, "telecom churn": telecom_churn, "seat reviews": seat_reviews}
