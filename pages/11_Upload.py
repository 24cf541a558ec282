"""Upload page: bring your own feedback file, map its columns, check it, import it with nothing lost."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from cx import exports, guesses, ingest, mapping_form, store, ui
from cx import mapping as maps
from cx.errors import CxError
from cx.ingest import workbook

st.set_page_config(page_title="Upload · cx", page_icon="📥", layout="wide")
ui.sidebar_settings()
st.title("Upload feedback")
st.caption("Drop in the export you have: CSV, TSV or semicolon-separated text (any common encoding), Excel "
           "(.xlsx) or Parquet. Nothing is written until you press Import; rejected rows are listed with a reason.")
con = ui.connection()  # a check still running when the tab closes is interrupted (ui.connection)
slot = ui.upload_slot()  # the staged file: freed on a new file, after its import and when the session ends

NONE = "(none)"
LIMIT_MB = int(st.get_option("server.maxUploadSize"))


def _state(key: str, default: object) -> object:
    return st.session_state.setdefault(key, default)


def _stage_upload(uploaded: object, token: str, sheet: str | None) -> None:
    """Save and stage a newly uploaded file (with progress); keep it in the session's upload slot."""
    slot.clear()  # the previous file's rows go before the next one is read
    bar = st.progress(0.0, text="Saving the upload…")
    path = ui.run_safely(lambda: ingest.save_upload(uploaded.getvalue(), uploaded.name),  # type: ignore[attr-defined]
                         "Could not save the upload")

    def progress(done: float, label: str) -> None:
        bar.progress(done, text=f"{label}… {done:.0%}")

    try:
        staged = ui.run_safely(lambda: ingest.stage(con, path, source=uploaded.name, progress=progress,  # type: ignore
                                                    max_bytes=LIMIT_MB * 1024 * 1024, sheet=sheet),
                               f"Could not read {uploaded.name}")  # type: ignore[attr-defined]
    finally:
        ingest.remove_upload(path)  # the staging database holds the rows now
    bar.empty()
    slot.hold(con, token, staged, [])
    slot.profiles = ingest.profile(con, staged)


def _sheet_choice(uploaded: object) -> str | None:
    """Return the sheet picked in a workbook of several visible sheets (a select box), else None (the default)."""
    data = uploaded.getvalue()  # type: ignore[attr-defined]
    if not workbook.looks_like_workbook(uploaded.name, data[:4]):  # type: ignore[attr-defined]
        return None
    known = st.session_state.get("upload_sheets")
    if known is None or known[0] != uploaded.file_id:  # type: ignore[attr-defined]
        found = ui.run_safely(lambda: workbook.sheets(io.BytesIO(data), uploaded.name),  # type: ignore[attr-defined]
                              f"Could not read {uploaded.name}")  # type: ignore[attr-defined]
        known = st.session_state["upload_sheets"] = (uploaded.file_id, found)  # type: ignore[attr-defined]
    found = known[1]
    if len(found.visible) < 2:
        return None
    picked = st.selectbox(
        "Sheet", found.visible, index=found.visible.index(found.default) if found.default in found.visible else 0,
        key=f"upload_sheet-{uploaded.file_id}",  # type: ignore[attr-defined]
        help="The workbook has several visible sheets: the one open when it was saved is read first. Hidden sheets "
             "are not offered (the command line reads one: --sheet NAME).")
    return None if picked == found.default else str(picked)


# ------------------------------------------------------------------ 1. the file
st.subheader("1. File")
left, right = st.columns([3, 2])
with left:
    uploaded = st.file_uploader(
        "Feedback file", type=["csv", "tsv", "txt", "tab", "xlsx", "parquet"], key="upload_file",
        help=f"Up to {LIMIT_MB:,} MB. Larger files: `python -m cx ingest FILE --mapping MAPPING.json`.",
    )
with right:
    mapping_file = st.file_uploader("Reuse a saved mapping (JSON, optional)", type=["json"], key="upload_mapping",
                                    help="A mapping downloaded from this page or written by hand (see README).")

if uploaded is None:
    slot.clear()
    st.session_state.pop("upload_sheets", None)
    st.info("Choose a file to see how it is read. Long format (one row per answer) and wide format (one row per "
            "respondent, one column per touchpoint) both work.")
else:
    with left:
        sheet = _sheet_choice(uploaded)
    file_token = uploaded.file_id if sheet is None else f"{uploaded.file_id}-{sheet}"
    if slot.token != file_token:  # a new file or sheet (or the session's slot was freed when its connection dropped)
        _stage_upload(uploaded, file_token, sheet)
        st.session_state.pop("upload_result", None)

staged: ingest.Staged | None = slot.staged if uploaded is not None else None
saved_mapping: maps.Mapping | None = None
if mapping_file is not None:
    try:
        saved_mapping = ingest.load_mapping_json(mapping_file.getvalue())
    except CxError as exc:
        st.error(ui.escape_md(f"The mapping file cannot be used: {exc}"))

if staged is not None:
    token = str(slot.token)
    profiles: list[guesses.ColumnProfile] = slot.profiles
    proposal = ingest.propose(con, staged, profiles)
    fmt = staged.fmt
    facts = [*fmt.facts(), ("Rows read", f"{staged.rows_read:,}")]
    st.dataframe(pd.DataFrame(facts, columns=["detected", "value"]), hide_index=True, width="stretch",
                 column_config={"value": st.column_config.TextColumn(width="large")})
    for note in [*fmt.notes, *staged.notes]:
        st.info(ui.escape_md(note))
    st.caption(f"First rows of {ui.escape_md(staged.shown_source)}, as read (text exactly as in the file):")
    st.dataframe(ingest.preview(con, staged, 10), hide_index=True, width="stretch")
    with st.expander("Column types and ranges"):
        st.dataframe(pd.DataFrame([{
            "column": p.name, "type": p.type_label, "read as": proposal.kinds.get(p.name, ""), "filled": p.filled,
            "distinct (approx.)": p.distinct,
            "min": p.lo, "max": p.hi, "most frequent": " | ".join(p.top[:5]),
        } for p in profiles]), hide_index=True, width="stretch",
            column_config={"most frequent": st.column_config.TextColumn(width="large")})
        st.caption(f"From the first {min(staged.rows_parsed, ingest.profile_rows(staged)):,} rows.")

    # -------------------------------------------------------------- 2. mapping
    st.subheader("2. Map the columns")
    guess = saved_mapping or proposal.mapping
    if saved_mapping is None:
        st.caption("Pre-filled with guesses: check each one.")
        for note in proposal.notes:
            st.info(note)
    else:
        st.caption(f"Pre-filled from {ui.escape_md(mapping_file.name)}.")  # type: ignore[union-attr]
    columns = list(staged.columns)
    key = f"{token}-{mapping_file.file_id if mapping_file else 'guess'}"

    def shown_column(column: str) -> str:
        return column if column == NONE else mapping_form.column_label(column, proposal.kinds)

    def pick(label: str, current: str | None, role: str, *, help: str | None = None) -> str | None:
        # The columns of the kind the role takes come first, each with what it holds: no typing to find one.
        options = [NONE, *mapping_form.pick_options(columns, proposal.kinds, role)]
        index = options.index(current) if current in options else 0
        chosen = st.selectbox(label, options, index=index, key=f"{key}-{role}", help=help, format_func=shown_column)
        return None if chosen == NONE else chosen

    fmt_choice = st.radio(
        "Format", ["wide", "long"], index=0 if guess.format == "wide" else 1, horizontal=True, key=f"{key}-format",
        format_func=lambda f: {"wide": "Wide: one row per respondent, one column per touchpoint",
                               "long": "Long: one row per answer (touchpoint and score columns)"}[f],
    )
    c1, c2, c3 = st.columns(3)
    with c1:
        respondent = pick("Respondent id", guess.respondent, "respondent",
                          help="(none): every row is its own respondent, numbered 'row 1', 'row 2'…")
    with c2:
        decimal = st.radio("Decimal separator", [".", ","], index=0 if guess.decimal == "." else 1, horizontal=True,
                           key=f"{key}-decimal", help="',' reads 4,5 as 4.5 (common in European exports).")
    wide_rows: list[mapping_form.EditorRow] = []
    tp_col = score_col = None
    scale_columns: tuple[str | None, str | None] | None = None
    lo, hi, na_text = mapping_form.DEFAULT_SCALE[0], mapping_form.DEFAULT_SCALE[1], ""
    per_tp_rows: list[mapping_form.EditorRow] | None = None

    if fmt_choice == "wide":
        default_tps = [t.column for t in guess.touchpoints if t.column in columns] if guess.format == "wide" else []
        chosen = st.multiselect("Touchpoint columns (one score column per touchpoint)", columns, default=default_tps,
                                key=f"{key}-touchpoints", format_func=shown_column)
        st.caption("Scale and not-applicable codes per touchpoint column (detected from the data: confirm them). "
                   "Not-applicable answers load without a score; they are not rejected.")
        edited = st.data_editor(
            pd.DataFrame(mapping_form.wide_editor_rows(guess, chosen, profiles),
                         columns=list(mapping_form.WIDE_EDITOR_COLUMNS)),
            hide_index=True, width="stretch", disabled=["column"], key=f"{key}-scales",
            column_config={"not applicable codes": st.column_config.TextColumn(help="e.g. 0; N/A"),
                           "reversed": st.column_config.CheckboxColumn(help="A higher answer is worse")},
        )
        wide_rows = edited.to_dict("records")
    else:
        c1, c2, c3 = st.columns(3)
        with c1:
            tp_col = pick("Touchpoint column", guess.touchpoint, "touchpoint")
        with c2:
            score_col = pick("Score column", guess.score, "score")
        with c3:
            scale_cols = guess.scale_columns or (None, None)
            use_cols = st.checkbox("Each row gives its scale (min and max columns)",
                                   value=guess.scale_columns is not None, key=f"{key}-use-scale-cols")
        if use_cols:
            s1, s2 = st.columns(2)
            with s1:
                lo_col = pick("Scale min column", scale_cols[0], "scale-min")
            with s2:
                hi_col = pick("Scale max column", scale_cols[1], "scale-max")
            scale_columns = (lo_col, hi_col)
        s1, s2, s3 = st.columns(3)
        default_scale = guess.scale or (1.0, 5.0)
        with s1:
            lo = st.number_input("Default scale min", value=float(default_scale[0]), key=f"{key}-lo")
        with s2:
            hi = st.number_input("Default scale max", value=float(default_scale[1]), key=f"{key}-hi")
        with s3:
            na_text = st.text_input("Not-applicable codes", value=maps.codes_to_text(guess.not_applicable),
                                    key=f"{key}-na", help="e.g. 0; N/A — answers with these load without a score.")
        if tp_col:
            values = ingest.distinct_values(con, staged, tp_col)
            table = pd.DataFrame(mapping_form.per_touchpoint_editor_rows(guess, values),
                                 columns=list(mapping_form.PER_TOUCHPOINT_COLUMNS))
            with st.expander(f"Per-touchpoint settings ({len(values)} touchpoints; blank = the defaults above)"):
                edited = st.data_editor(table, hide_index=True, width="stretch", disabled=["touchpoint"],
                                        key=f"{key}-per-tp")
            per_tp_rows = edited.to_dict("records")

    st.markdown("**Optional columns**")
    o1, o2, o3, o4, o5 = st.columns(5)
    with o1:
        channel = pick("Channel", guess.channel, "channel")
    with o2:
        stage_col = pick("Stage", guess.stage, "stage")
    with o3:
        unit = pick("Local unit (store, branch…)", guess.unit, "unit")
    with o4:
        timestamp = pick("Date/time", guess.timestamp, "timestamp")
    with o5:
        comment = pick("Comment", guess.comment, "comment")
    ts_text, date_order = "", None
    if timestamp:
        t1, t2 = st.columns(2)
        with t1:
            ts_text = st.text_input(
                "Date format (blank: read automatically)", value=guess.timestamp_format or "", key=f"{key}-ts-format",
                help="Blank reads 2024-03-31 14:05, 31/03/2024, 31 March 2024, 31st March 2024, March 31, 2024 and "
                     "Excel day numbers. Only for other forms: strftime codes, e.g. %Y%m%d.")
        with t2:
            orders = [None, *maps.DATE_ORDERS]
            date_order = st.radio(
                "Dates like 03/04/2024 are", orders, index=orders.index(guess.date_order), horizontal=True,
                key=f"{key}-date-order",
                format_func=lambda o: {None: "decided from the file", **maps.DATE_ORDERS}[o],
                help="Day first or month first is decided from the whole column (a first number above 12 shows day "
                     "first); the check below says what was decided.")
    # Derived columns (days between two dates, bands of a number): offered below as segments, outcomes, operational.
    derived_key = f"{key}-derived"
    if derived_key not in st.session_state:
        st.session_state[derived_key] = [maps.derived_to_json(d) for d in guess.derived]
    made: list[dict[str, object]] = st.session_state[derived_key]
    with st.expander("Derived columns (optional: days between two dates, late vs on time…)", expanded=bool(made)):
        for i, item in enumerate(made):
            d1, d2 = st.columns([6, 1])
            d1.caption(ui.escape_md(mapping_form.derived_label(maps.derived_from_json(item))))
            if d2.button("Remove", key=f"{derived_key}-remove-{i}"):
                made.pop(i)
                st.rerun()
        how = st.radio("Add", ["days_between", "band"], horizontal=True, key=f"{derived_key}-how",
                       format_func=lambda k: {"days_between": "days between two dates",
                                              "band": "a band of a number (e.g. late vs on time)"}[k])
        firsts = sorted(columns, key=lambda c: proposal.kinds.get(c) != "date")  # date columns first
        first = second = source = None
        edges_text = labels_text = ""
        if how == "days_between":
            e1, e2, e3 = st.columns(3)
            first = e1.selectbox("From the date in", firsts, key=f"{derived_key}-first")
            second = e2.selectbox("to the date in", firsts, index=min(1, len(firsts) - 1), key=f"{derived_key}-second")
            made_name = e3.text_input("Name", value="Days between", key=f"{derived_key}-days-name")
        else:
            numeric = [p.name for p in profiles if p.number_share >= 0.5] + [
                str(x["name"]) for x in made if "days_between" in x]
            e1, e2, e3, e4 = st.columns(4)
            source = e1.selectbox("Band the numbers in", numeric, index=len(numeric) - 1 if numeric else None,
                                  key=f"{derived_key}-source")
            edges_text = e2.text_input("Edges", value="0", key=f"{derived_key}-edges",
                                       help="e.g. 0 or 0; 7 — a value equal to an edge takes the label below it")
            labels_text = e3.text_input("Labels (one more than the edges)", value="on time; late",
                                        key=f"{derived_key}-labels")
            made_name = e4.text_input("Name", value="Band", key=f"{derived_key}-band-name")
        if st.button("Add the derived column", key=f"{derived_key}-add"):
            try:
                new = mapping_form.derived_from_form(how, made_name, dates=(first, second), source=source,
                                                     edges=edges_text, labels=labels_text)
            except CxError as exc:
                st.warning(ui.escape_md(str(exc)))
            else:
                made.append(maps.derived_to_json(new))
                st.rerun()
    derived = tuple(maps.derived_from_json(x) for x in made)

    form = mapping_form.FormValues(
        format=fmt_choice, respondent=respondent, decimal=decimal, wide_rows=tuple(wide_rows), touchpoint=tp_col,
        score=score_col, scale_columns=scale_columns, scale_min=float(lo), scale_max=float(hi), not_applicable=na_text,
        per_touchpoint_rows=None if per_tp_rows is None else tuple(per_tp_rows), channel=channel, stage=stage_col,
        unit=unit, timestamp=timestamp, timestamp_format=ts_text, date_order=date_order, comment=comment,
        derived=derived,
    )
    free = mapping_form.free_columns(columns, form)
    segments = st.multiselect("Segment columns (to slice by: class, region, persona…)", free,
                              default=[s for s in guess.segments if s in free], key=f"{key}-segments",
                              format_func=shown_column)

    st.markdown("**Outcomes per respondent** (a 0–10 recommend score, an overall score, or yes/no; mark the "
                "churned yes/no as churn and a revenue per customer as revenue)")
    outcome_cols = st.multiselect("Outcome columns", [c for c in free if c not in segments],
                                  default=[o.column for o in guess.outcomes if o.column in free and o.column not in
                                           segments], key=f"{key}-outcomes", format_func=shown_column)
    outcomes = []
    for column in outcome_cols:
        default = mapping_form.default_outcome(guess, profiles, column, derived)
        shown = ui.escape_md(column)  # a column name from the file, inside widget labels
        k1, k2, k3 = st.columns([2, 2, 3])
        with k1:
            kind = st.selectbox(f"'{shown}' is", maps.OUTCOME_KINDS, index=maps.OUTCOME_KINDS.index(default.kind),
                                key=f"{key}-kind-{column}",
                                format_func=lambda k: {"binary": "yes/no (binary)", "nps": "0–10 recommend (NPS)",
                                                       "score": "a score on a scale",
                                                       "value": "a value (e.g. revenue)"}[k])
        values, positive, scale = [], [], None
        if kind == "binary":
            labels = mapping_form.derived_values(derived, column)
            values = labels if labels is not None else ingest.distinct_values(con, staged, column, limit=50)
            with k2:
                positive = st.multiselect(f"Positive value(s) of '{shown}'", values,
                                          default=[v for v in default.positive if v in values] or values[:1],
                                          key=f"{key}-pos-{column}")
        elif kind == "score":
            offered = default.scale or mapping_form.DEFAULT_SCALE
            with k2:
                o_lo = st.number_input(f"'{shown}' scale min", value=float(offered[0]), key=f"{key}-olo-{column}")
            with k3:
                o_hi = st.number_input(f"'{shown}' scale max", value=float(offered[1]), key=f"{key}-ohi-{column}")
            scale = (float(o_lo), float(o_hi))
        role = None
        roles = mapping_form.role_choices(kind)
        if len(roles) > 1:
            with k3:
                role = st.selectbox(f"'{shown}' stands for", roles,
                                    index=roles.index(mapping_form.default_role(default, kind)),
                                    format_func=mapping_form.ROLE_LABELS.__getitem__, key=f"{key}-role-{column}",
                                    help="Churn and retention read the outcome marked churn; CLV also needs one "
                                         "marked revenue. Proposed from the column's name: confirm it.")
        outcomes.append(mapping_form.outcome_from_form(column, kind, positive=positive, values=values, scale=scale,
                                                       role=role))

    operational = []
    # Open while any is chosen, so picking one (a rerun) does not fold the list away.
    with st.expander("Operational metrics (optional: wait time, delivery delay…)",
                     expanded=bool(st.session_state.get(f"{key}-ops") or guess.operational)):
        op_cols = st.multiselect("Numeric operational columns",
                                 mapping_form.operational_choices(profiles, free, [*segments, *outcome_cols], derived),
                                 default=[o.column for o in guess.operational], key=f"{key}-ops",
                                 format_func=shown_column)
        names = [t.name for t in mapping_form.touchpoints_from_editor(wide_rows)]
        for column in op_cols:
            tp = None
            if fmt_choice == "wide":
                proposed = mapping_form.default_touchpoint(column, names)
                tp = st.selectbox(f"'{ui.escape_md(column)}' belongs to touchpoint", names,
                                  index=names.index(proposed) if proposed in names else None,
                                  placeholder="choose its touchpoint", key=f"{key}-optp-{column}")
            operational.append((column, tp))

    mapping = mapping_form.build_mapping(guess, replace(form, segments=tuple(segments), outcomes=tuple(outcomes),
                                                        operational=tuple(operational)))
    try:
        mapping.check()
        mapping.check_columns(columns)  # e.g. a derived column named like a file column
    except CxError as exc:
        st.warning(ui.escape_md(str(exc)))
        st.stop()
    to_save = mapping.with_file(delimiter=fmt.delimiter, encoding=fmt.encoding, header=fmt.header,
                                skip_rows=fmt.skip_rows, sheet=fmt.sheet)
    st.download_button("Download this mapping (JSON)", json.dumps(to_save.to_dict(), indent=2, ensure_ascii=False),
                       file_name=f"{ingest.default_name(staged.source)}.mapping.json", mime="application/json",
                       key=f"{key}-mapping-download")

    # -------------------------------------------------------------- 3. validation report
    st.subheader("3. Check")
    with st.spinner("Checking every row…"):
        report = ui.run_safely(lambda: ingest.check(con, staged, mapping), "Could not check the file")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows read", f"{report.rows_read:,}")
    m2.metric("Rows to load", f"{report.rows_valid:,}")
    m3.metric("Rows rejected", f"{report.rows_rejected:,}")
    m4.metric("Answers to load", f"{report.answers:,}")
    summary = report.summary()
    (st.success if not report.rows_rejected else st.warning)(summary[0] + " Nothing is dropped silently.")
    for line in summary[1:]:
        st.info(ui.escape_md(line))
    for note in report.notes:
        if note not in fmt.notes and note not in staged.notes:
            st.info(ui.escape_md(note))
    if report.emptied:
        st.markdown("**Cells left empty** — an optional cell (date, outcome, operational value) that cannot be read "
                    "costs its row nothing else: the row loads without it")
        st.dataframe(report.emptied_frame(), hide_index=True, width="stretch")
    if report.problems:
        st.markdown("**Problems** — each with a count, the first rows and what to do "
                    "(row = data row, header not counted; line = line of the file)")
        st.dataframe(report.problems_frame(), hide_index=True, width="stretch")
        rejected = ingest.rejected_rows(con, staged, mapping)
        st.dataframe(rejected.head(50), hide_index=True, width="stretch")
        st.download_button(
            f"Download the {report.rows_rejected:,} rejected rows (CSV with a reason column)",
            ingest.rejects_csv(rejected, staged.source, report),
            file_name=f"{ingest.default_name(staged.source)}.rejected.csv", mime="text/csv",
            key=f"{key}-rejects-download",
        )

    # -------------------------------------------------------------- 4. import
    st.subheader("4. Import")
    if report.rows_valid == 0:
        st.error("No row can be loaded: fix the mapping or the file using the problems above.")
    else:
        name = st.text_input("Data set name", value=ingest.unused_name(con, ingest.default_name(staged.source)),
                             key=f"{key}-name")
        scored = mapping.format == "long" or bool(mapping.touchpoints)
        make_journey = scored and st.checkbox("Also create a journey of these touchpoints (in file order)",
                                              value=True, key=f"{key}-journey")
        if not scored:
            st.caption("An outcome-only data set: its outcomes and segments are imported, and pages that need "
                       "touchpoint scores say so.")
        if st.button(f"Import {report.rows_valid:,} rows", type="primary", key=f"{key}-import"):
            # An import that has started finishes even if the tab closes: its own cursor is not interrupted.
            with st.spinner("Importing (one transaction: all or nothing)…"), slot.busy():
                result = ui.run_safely(lambda: ingest.load(con.cursor(), staged, mapping, name, report=report),
                                       "The import failed and nothing was written")
                journey = ingest.create_journey(con, result.dataset) if make_journey else None
            slot.clear(keep_token=True)  # imported: the staged rows are freed, the file is not read again
            st.session_state["upload_result"] = (result.dataset, result.rows_loaded, result.rows_read,
                                                 result.rows_rejected, result.answers, journey)
            st.session_state[ui.DATASET_KEY] = result.dataset
            st.rerun()

done = st.session_state.get("upload_result")
if done and uploaded is not None:
    dataset, loaded, read, rejected_n, answers, journey = done
    st.success(f"Imported data set '{ui.escape_md(dataset)}': {loaded:,} of {read:,} rows loaded ({answers:,} "
               f"answers), {rejected_n:,} rejected.")
    params = {"dataset": dataset, **({"journey": journey} if journey else {})}
    st.page_link("pages/1_Journey.py", label=f"See '{ui.escape_md(dataset)}' on the Journey page", icon="🧭",
                 query_params=params)
    if staged is None:
        st.caption("The file's rows were freed from memory after the import.")
        if st.button("Check this file again (e.g. to import it under another name)", key="upload_again"):
            slot.clear()
            st.rerun()

# ------------------------------------------------------------------ 5. data sets
st.subheader("Data sets in this database")
deleted = st.session_state.pop("datasets_deleted", None)
if deleted:
    st.success(ui.escape_md(f"Deleted '{deleted[0]}'." + (f" {deleted[1]}" if deleted[1] else "")))
table = ui.datasets(con)  # counted once per data version: an import or a delete counts again
if table.empty:
    st.info("No data set yet.")
else:
    st.dataframe(
        table[["dataset", "source", "kind", "imported_at", "rows_read", "rows_loaded", "rows_rejected", "answers",
               "respondents"]],
        hide_index=True, width="stretch",
        column_config={"imported_at": st.column_config.DatetimeColumn("imported", format="YYYY-MM-DD HH:mm")},
    )
    d1, d2 = st.columns(2)
    with d1:
        shown = st.selectbox("Show the mapping of", table["dataset"].tolist(), key="datasets_mapping_of")
        text = table.loc[table["dataset"] == shown, "mapping"].iloc[0]
        if isinstance(text, str) and text:
            st.json(json.loads(text), expanded=False)
            st.download_button("Download this mapping (JSON)", text, file_name=f"{shown}.mapping.json",
                               mime="application/json", key="datasets_mapping_download")
        else:
            st.caption("No mapping stored (generated data).")
    with d2:
        victim = st.selectbox("Delete a data set", table["dataset"].tolist(), key="datasets_delete_pick")
        # One confirmation per data set: after a delete, the next one's box starts unticked.
        confirm_key = f"datasets_delete_confirm-{victim}"
        sure = st.checkbox(f"Yes, delete '{ui.escape_md(victim)}' and all its answers", key=confirm_key)
        losing = store.unlinked_sentence(store.journeys_linked_to(con, victim), done=False)
        if losing:
            st.warning(ui.escape_md(losing))
        if st.button("Delete", disabled=not sure, key="datasets_delete"):
            unlinked = ui.run_safely(lambda: store.delete_dataset(con, victim), "Could not delete")
            st.session_state.pop(confirm_key, None)
            if st.session_state.get(ui.DATASET_KEY) == victim:
                st.session_state.pop(ui.DATASET_KEY, None)
            st.session_state["datasets_deleted"] = (victim, store.unlinked_sentence(unlinked, done=True))
            st.rerun()
    st.download_button("Download this list (CSV)", exports.safe_csv(table.drop(columns=["mapping"]),
                                                                    notes=["Data sets in this database"]),
                       file_name="datasets.csv", mime="text/csv", key="datasets_download")
