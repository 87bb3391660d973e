"""Imports: contacts added in bulk from an uploaded CSV file, each row exactly once.

- `jobs`: the marketer's side: announce a file (its id from its SHA-256), upload it through a
  presigned PUT, start it, follow it (`create`, `start`, `load`, `public`, `bad_rows`, `kick`);
  `ImportRequest`, the announcement, read plainly when plainly valid (`ecrm.web.plain`).
- `schema`: the announcement's pydantic model (`ImportIn`): the document's, and the verdict on a
  body `ImportRequest.plain` leaves to it.
- `stored`: what both sides read, without pydantic: the import's states and item (`load`), the
  file's bytes (`read_range`) and the worker's queue (`kick`).
- `chunks`: the worker: a step adds the file's rows in chunks, one transaction each with its
  checkpoint (`step`, `take`, `commit`).
- `rows`: the file read a window of bytes at a time, its records as form submissions
  (`records`, `header`, `import_form`: a `form_view.FormView`, `row_fields`, `resolve_columns`).
"""
