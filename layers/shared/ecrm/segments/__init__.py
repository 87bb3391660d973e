"""Segments: who among a topic's members a campaign goes to.

- `definitions`: the segment as written (pydantic models and conditions, stored version by
  version: `create`, `update`, `delete`, `load`, `page`).
- `conditions`: the stored segment read back without pydantic (`SegmentView`), and its
  evaluation on one contact (`holds`, `sendable`; `member`, in two parts: `holds_on_contact`,
  `holds_on_score`).
- `audience`: a segment's members resolved from the sharded topic index, never a Scan
  (`members_page`, `shard_pages`, `count`, `all_members`).
"""
