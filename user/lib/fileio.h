/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash-safe file writes shared by the daemon's state files (users,
 * token revocations) and the journal: one place that gets the temp file,
 * fsync and rename order right.
 */
#ifndef EW_FILEIO_H
#define EW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace path with data through a temp file in the same directory, so a
 * crash leaves either the old or the new content, never a mix. The file
 * gets mode before it is renamed into place; the directory is fsynced so
 * the rename survives a crash. who starts every log message (e.g.
 * "users_save"). Returns 0 or -errno; on failure the temp file is removed.
 */
int ew_write_atomic(const char *who, const char *path, const void *data, size_t len, mode_t mode);

/*
 * Best effort: fsync the directory holding path, so a file just created
 * there keeps its name after a crash. Only a failed fsync is logged
 * (prefixed by who); the caller's file is already written either way.
 */
void ew_sync_dir(const char *who, const char *path);

#endif /* EW_FILEIO_H */
