// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash-safe file writes: atomic replacement through a temp file and
 * directory fsyncs. See fileio.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

/* The directory part of path, "." for a bare name and "/" at the root; malloc'd, NULL on ENOMEM. */
static char *fileio_dir_name(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash) {
		free(dir);
		return strdup(".");
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

static int fileio_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int ew_write_atomic(const char *who, const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL, *dir = NULL;
	int fd = -1, dfd = -1, rc;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		goto out;
	}
	/* mkstemp opens with O_EXCL and mode 0600: no one else can open the temp file meanwhile. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		log_warn("%s: create %s", who, tmp);
		goto out;
	}
	rc = fileio_write_all(fd, data, len);
	if (rc) {
		errno = -rc;
		log_warn("%s: write %s", who, tmp);
		goto out;
	}
	/* fchmod: the umask must not widen or narrow what the caller asked for. */
	if (fchmod(fd, mode) || fsync(fd)) {
		rc = -errno;
		log_warn("%s: fsync %s", who, tmp);
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		rc = -errno;
		log_warn("%s: close %s", who, tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		rc = -errno;
		log_warn("%s: rename %s to %s", who, tmp, path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dir = fileio_dir_name(path);
	if (!dir) {
		rc = -ENOMEM;
		goto out;
	}
	/* The rename is durable only once the directory is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd)) {
		rc = -errno;
		log_warn("%s: fsync the directory of %s", who, path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

void ew_sync_dir(const char *who, const char *path)
{
	char *dir = fileio_dir_name(path);
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd))
			log_warn("%s: fsync of the directory of %s", who, path);
		close(fd);
	}
	free(dir);
}
