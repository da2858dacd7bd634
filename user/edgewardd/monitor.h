/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guide's host monitors (its intrusion detection script), inside the
 * daemon's loop instead of a shell loop:
 *
 * Established connections. Every interval the TCP sockets in state
 * ESTABLISHED are counted (all of them, IPv4 and IPv6, both directions, as
 * the guide's `netstat -tn | grep ESTABLISHED | wc -l`). The count comes
 * from a netlink sock_diag dump filtered by state in the kernel, read
 * without blocking as the loop's other events are; when sock_diag is not
 * available, from /proc/net/tcp and /proc/net/tcp6. Crossing above the
 * threshold raises one alert (with the remote addresses holding the most
 * connections) and one audit record; going back to or below it raises an
 * info alert. Nothing is repeated while the count stays on one side.
 *
 * Critical files (/etc/passwd, /etc/shadow, /etc/sudoers,
 * /etc/ssh/sshd_config by default). At start each file's SHA-256, mode,
 * owner and group are taken as the baseline. inotify watches each file and
 * its directory (editors and package managers replace a file by renaming
 * a new one over it, which only the directory sees); MONITOR_SETTLE_MS
 * after the last event the file is checked again, and every files_interval
 * all are, in case an event was lost. A change of content, mode, owner or
 * group, a removal and a (re)appearance each raise one alert and one audit
 * record with before and after; the new state becomes the baseline.
 * Files are read whole for hashing, in the loop: this is meant for
 * configuration files (at most MONITOR_FILE_MAX bytes are hashed; a larger
 * file is judged by its size, times and metadata).
 *
 * Not thread-safe: one instance per event loop.
 */
#ifndef EWD_MONITOR_H
#define EWD_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alert.h"

struct event_base;

#define MONITOR_MAX_FILES	64
#define MONITOR_SETTLE_MS	200
#define MONITOR_FILE_MAX	(64 << 20)
#define MONITOR_TOP		5	/* remote addresses named in an alert */

struct monitor_conf {
	uint32_t conn_threshold;	/* alert above this many; 0: no connection monitor */
	uint32_t conn_interval_s;	/* 10 */
	char **files;			/* absolute paths */
	size_t n_files;
	uint32_t files_interval_s;	/* full re-check: 600 */
};

/* The guide's: threshold 100 every 10 s, the four files, re-checked every 10 min. -ENOMEM */
int monitor_conf_defaults(struct monitor_conf *c);
void monitor_conf_release(struct monitor_conf *c);

struct monitor_ops {
	int (*audit)(void *arg, json_t *rec);	/* jr_event shape, no risk; 0 or -errno */
	void (*alert)(void *arg, enum alert_level level, const char *recipient, const char *text,
		      json_t *details);
};

struct monitor;

/* Baselines are taken here. NULL on error (logged). */
struct monitor *monitor_new(struct event_base *base, const struct monitor_conf *conf,
			    const struct monitor_ops *ops, void *arg);
void monitor_free(struct monitor *m);

/* Check every file against its baseline now (the timers do this too). */
void monitor_files_check(struct monitor *m);

/* Established TCP connections by remote address. */
struct monitor_conns {
	uint64_t total;
	struct {
		char addr[48];
		uint64_t count;
	} top[MONITOR_TOP];		/* most connections first; addr "" when unused */
	size_t n_top;
};

/*
 * Count the ESTABLISHED lines of files in /proc/net/tcp format (tcp and tcp6
 * alike) together into c. Lines that do not parse are skipped. 0 or -errno
 * (a file that cannot be read).
 */
int monitor_proc_count(const char *const *paths, size_t n, struct monitor_conns *c);
/* Count now, synchronously: sock_diag, else /proc. 0 or -errno. */
int monitor_conn_count(struct monitor_conns *c);

struct monitor_stats {
	uint64_t conn_checks;
	uint64_t conn_last;		/* the latest count */
	uint64_t conn_alerts;
	uint64_t file_checks;
	uint64_t file_alerts;
	bool conn_over;
	bool netlink;			/* counting through sock_diag */
};
void monitor_stats(const struct monitor *m, struct monitor_stats *out);

#endif
