/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging for both programs: stderr in the foreground, syslog for the
 * daemon. Messages start with the function or module name, e.g.
 * log_warn("bl_import: open %s", path). log_warn and fatal append
 * strerror(errno); the x variants do not.
 */
#ifndef EW_LOG_H
#define EW_LOG_H

#include <stdarg.h>

/* 0 = warnings and info, 1 = also debug. Set by log_init, readable by callers. */
extern int log_verbose;

/*
 * ident prefixes every stderr line and names the syslog ident (NULL keeps
 * the previous one, "edgeward" at first); to_syslog sends everything to
 * syslog (LOG_DAEMON) instead of stderr.
 */
void log_init(const char *ident, int to_syslog, int verbose);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Start-up failures only: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
