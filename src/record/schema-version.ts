// The version of every line the record writes (events, request records, readbacks): field `v`.
// Version 1 is the first shape; a line without `v` (run directories from before the field) is read
// as version 1. A reader refuses a line of a version newer than the one it knows.

export const RECORD_VERSION = 1 as const;

export type RecordVersion = typeof RECORD_VERSION;
