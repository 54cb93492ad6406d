/*
 * An account's health: the small state file beside its token file
 * (PATH.state for the token file PATH), shared by everything that renews
 * the token (the plugin, `watch` and its restarts, `watch --once` from
 * cron, `refresh`), so that each change of state is announced once.
 *
 * Every renewal records its outcome here (oa2_store_refresh, under the
 * token file's lock); the plugin also records a server's refusal of an
 * access token it sent. Only `watch` announces changes (tools/), and marks
 * here what it announced. The file holds times, counters and the server's
 * reason in its own words, never a token or secret. It is JSON, written
 * atomically (safe_file.h), mode 0600, owned by the token file's owner,
 * bounded by OA2_HEALTH_FILE_MAX when read.
 */
#ifndef SASL_OAUTH2_HEALTH_H
#define SASL_OAUTH2_HEALTH_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

#define OA2_HEALTH_FILE_MAX 8192
#define OA2_HEALTH_REASON_MAX 512

/* What an admin is told about; the order is the severity. */
enum oa2_health_state {
	OA2_HEALTH_OK,        /* renewing works, or nothing known yet */
	OA2_HEALTH_EXPIRING,  /* a credential (certificate) expires soon */
	OA2_HEALTH_FAILING,   /* renewal has failed for longer than a threshold */
	OA2_HEALTH_REAUTH,    /* the provider refused the grant: authorize again */
};
#define OA2_HEALTH_NSTATES 4

struct oa2_health {
	int refused;               /* the latest renewal was refused for good */
	long failures;             /* consecutive failed renewals */
	long long failing_since;   /* first failure of the current run; 0: none */
	long long last_success;    /* the latest successful renewal; 0: unknown */
	long long last_failure;    /* the latest failed renewal; 0: none */
	long long rejected_at;     /* a server refused an access token; 0: no */
	int announced;             /* enum oa2_health_state announced last */
	long long announced_at;
	char reason[OA2_HEALTH_REASON_MAX]; /* the latest failure, as reported */
};

/* "ok", "expiring", "failing", "reauth": the names used in the state file,
 * notifications and metrics. */
const char *oa2_health_state_name(enum oa2_health_state s);

/* The state file's path for the token file at token_path (PATH.state). */
int oa2_health_path(const char *token_path, char *buf, size_t n);

/* Reads the state file; a missing one gives a zeroed *h and OA2_OK. The
 * file gets the token file's checks (safe_file.h). */
int oa2_health_read(const char *token_path, struct oa2_health *h, struct oa2_err *err);

/* Writes it atomically, mode 0600. */
int oa2_health_write(const char *token_path, const struct oa2_health *h, struct oa2_err *err);

/* Records a renewal's outcome: rc OA2_OK, a refusal (OA2_ERR_DENIED,
 * OA2_ERR_NOREFRESH: re-authorization needed) or another failure; reason
 * is the failure's message. The caller holds the token file's lock. Best effort:
 * a state file that cannot be written never fails a renewal. */
void oa2_health_record(const char *token_path, int rc, const char *reason, long long now);

/* Records that a server refused an access token (the plugin, after the
 * server's error challenge), taking the token file's lock. */
int oa2_health_note_rejected(const char *token_path, const char *reason, struct oa2_err *err);

/* The state at time now: REAUTH when refused, FAILING when failing for at
 * least failing_after seconds, EXPIRING when credential_expires_at (0:
 * unknown) is within expiring_within seconds, else OK. */
enum oa2_health_state oa2_health_state(const struct oa2_health *h, long long now,
				       long failing_after, long long credential_expires_at,
				       long expiring_within);

#endif
