/*
 * sasl-oauth2 watch: keeps token files fresh.
 *
 *   cmd_watch.c     the command: options, daemon set-up, the sleep/wake loop
 *   watch_table.c   which accounts there are (a directory re-scanned each
 *                   cycle, or the accounts named on the command line)
 *   watch_step.c    one look at one account: read, decide, refresh, log
 *   watch_sched.c   the arithmetic: when a token is due, jitter, back-off
 *
 * Two clocks: wall-clock time (time(2)) is what expires_at means, and is
 * re-read after every wake; CLOCK_BOOTTIME (in milliseconds) is what the
 * loop sleeps on, so a suspended laptop wakes up knowing the time it lost.
 */
#ifndef SASL_OAUTH2_WATCH_H
#define SASL_OAUTH2_WATCH_H

#include <stdint.h>

#include "account.h"
#include "notify.h"
#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"

/* The loop wakes at least this often to re-scan the directory and re-check
 * wall-clock expiry (clock changes do not move CLOCK_BOOTTIME timers). */
#define WATCH_RESCAN_SECS 60

struct watch_opts {
	int for_postfix;
	int once;
	long keepalive;      /* seconds; 0: no keep-alive refreshes */
	long retry_min;      /* first delay after a temporary failure */
	long retry_max;      /* back-off cap */
	long retry_refused;  /* delay after the provider refused */
	const char *metrics_file; /* --metrics-file; NULL: none */
};

enum watch_fail {
	WF_NONE,
	WF_TEMP,     /* network, 408/429/5xx: back off, log every attempt */
	WF_OTHER,    /* a local or unexpected problem: back off, log once */
	WF_REFUSED,  /* the provider refused: re-authorization needed */
};

struct watch_acct {
	struct account acct;
	int seen;                 /* found by the latest scan */
	int by_path;              /* named by its path on the command line */
	int announced;            /* its schedule was logged once */
	unsigned char fp[32];     /* SHA-256 of access + refresh token: a new
				   * pair means someone re-authorized */
	int have_fp;
	enum watch_fail fail;
	int64_t retry_at;         /* boot ms; when fail != WF_NONE */
	long backoff;             /* the last temporary delay, seconds */
	long long jitter_for;     /* the expires_at the jitter was drawn for */
	long jitter;
	int result;               /* CLI exit code of the latest look */
	uint64_t logged;          /* hash of the problem logged last (each is
				   * logged once); 0: none */
	struct acct_health health; /* after the latest look (notify.h) */
};

/* ---- watch_sched.c ---------------------------------------------------- */

enum watch_due {
	DUE_NOT,        /* *wait says when */
	DUE_REJECTED,   /* a server rejected the access token */
	DUE_EXPIRY,     /* expires within margin + jitter */
	DUE_KEEPALIVE,  /* refresh token unused for `keepalive` seconds */
};

struct watch_times {
	long long now;          /* wall clock */
	long long expires_at;   /* 0: unknown */
	long long refreshed_at; /* when the refresh token was last used */
	long long rejected_at;  /* 0: not rejected */
	long margin;
	long jitter;
	long keepalive;         /* 0: off */
};

/* Whether the token is due now and why; when not, *wait is the seconds
 * until it will be (-1: never, for a token with no expiry and no
 * keep-alive). */
enum watch_due watch_due(const struct watch_times *t, long long *wait);

/* A random jitter in [0, min(60, remaining / 10)] seconds, remaining being
 * the seconds until the refresh margin is reached. */
long watch_jitter(long long remaining);

/* The next temporary back-off: retry_min, then doubling up to retry_max. */
long watch_backoff(long prev, long retry_min, long retry_max);

/* Shortens delay so a retry still happens while the token is valid, when
 * that is possible: the last retry lands a few seconds before expiry. */
long watch_clamp_to_expiry(long delay, long long now, long long expires_at);

/* The margin to hand oa2_store_refresh for a due token: refreshes under the
 * lock only if the file still says so (another process may have refreshed
 * it while we waited for the lock). */
long watch_store_margin(enum watch_due why, const struct watch_times *t);

/* The CLI exit code that is worse (for `watch --once`). */
int watch_worse(int a, int b);

/* CLOCK_BOOTTIME in milliseconds. */
int64_t watch_boot_ms(void);

/* ---- watch_step.c ----------------------------------------------------- */

/* Looks at one account: reads its file, refreshes the token when due,
 * logs what happened. Returns the result as a CLI exit code and sets *next
 * (boot ms) to when it wants to be looked at again (0: only at the next
 * periodic wake). */
int watch_step(struct watch_acct *a, const struct oa2_config *cfg, const struct watch_opts *o,
	       int64_t *next);

/* What `sasl-oauth2 authorize` takes to re-create the account, for advice:
 * "NAME", "NAME --for postfix" or the token file's path. */
void watch_advice_account(const struct watch_acct *a, const struct watch_opts *o, char *buf,
			  size_t n);

/* ---- watch_table.c ---------------------------------------------------- */

struct watch_table {
	struct watch_acct *v;
	size_t n, cap;
	int scan_dir;             /* accounts come from dir, re-scanned */
	char dir[4096];
	int dir_errno;            /* why dir cannot be read; 0: it can */
};

/* The accounts named on the command line (names or token file paths). */
int watch_table_add_args(struct watch_table *t, char **args, int nargs,
			 const struct watch_opts *o, const struct oa2_config *cfg,
			 struct oa2_err *err);

/* Re-scans t->dir (when scan_dir): adds new *.json files, drops vanished
 * ones, keeps the state of the rest. */
void watch_table_scan(struct watch_table *t, const struct watch_opts *o,
		      const struct oa2_config *cfg);

void watch_table_free(struct watch_table *t);

#endif
