/*
 * bench_auth: measures what one client authentication costs through
 * libsasl2, for PLAIN (the system plugin, as the baseline) and for this
 * project's XOAUTH2 and OAUTHBEARER.
 *
 * One "authentication" is exactly what a client such as Postfix does per
 * connection:
 *
 *   sasl_client_new("imap", "mail.example.com", NULL, "127.0.0.1;993", cbs, 0, &conn);
 *   sasl_client_start(conn, MECH, NULL, &out, &outlen, &chosen);
 *   sasl_dispose(&conn);
 *
 * with function callbacks for AUTHNAME, USER, PASS and LOG (as Postfix
 * registers them). PASS returns a password for PLAIN and the token file's
 * path for XOAUTH2/OAUTHBEARER. sasl_client_init runs once, with a
 * SASL_CB_GETPATH callback naming the plugin directory.
 *
 * Timing mode (default): R rounds of N authentications per mechanism,
 * mechanisms interleaved (and their order rotated) within each round so
 * that clock or thermal drift hits all of them alike. Prints the median
 * and p90 of ns per authentication over the rounds, the ratios to PLAIN,
 * and a PASS/FAIL line against "median <= TARGET x PLAIN".
 *
 * Single mode (--mech M --iterations N): runs M exactly N times, prints
 * nothing on success: meant for valgrind --tool=callgrind, where the
 * difference between two iteration counts gives the per-authentication
 * instruction count.
 *
 * Exit status: 0 ok / targets met, 1 a target missed, 2 an authentication
 * failed or a usage error.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, strdup, strtok_r under -std=c11 */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sasl/sasl.h>

#define MAX_MECHS 3
#define MAX_ROUNDS 1000

static const char *const all_mechs[MAX_MECHS] = { "PLAIN", "XOAUTH2", "OAUTHBEARER" };

struct bench {
	const char *plugin_dir;
	const char *token_file;
	const char *user;
	const char *password;
	const char *expect_token; /* optional: checked in the first response */
	sasl_secret_t *secret_password;
	sasl_secret_t *secret_token_path;
	sasl_secret_t *current_secret; /* what PASS hands out right now */
	int verbose;
	unsigned long log_errors;   /* SASL_LOG_ERR and worse */
	unsigned long log_warnings; /* SASL_LOG_WARN */
};

typedef int (*cb_proc_t)(void);
/* libsasl2 stores every callback as int (*)(void); going through
 * void (*)(void) keeps -Wcast-function-type quiet. */
#define CB_PROC(fn) ((cb_proc_t)(void (*)(void))(fn))

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("bench_auth: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---------------------------------------------------------------- callbacks */

static int cb_getpath(void *context, const char **path)
{
	struct bench *b = context;
	if (path == NULL)
		return SASL_BADPARAM;
	*path = b->plugin_dir;
	return SASL_OK;
}

static int cb_log(void *context, int level, const char *message)
{
	struct bench *b = context;
	if (level <= SASL_LOG_ERR)
		b->log_errors++;
	else if (level == SASL_LOG_WARN)
		b->log_warnings++;
	if (b->verbose || level <= SASL_LOG_WARN)
		fprintf(stderr, "bench_auth: sasl log[%d]: %s\n", level,
			message ? message : "(null)");
	return SASL_OK;
}

static int cb_getsimple(void *context, int id, const char **result, unsigned *len)
{
	struct bench *b = context;
	if (result == NULL)
		return SASL_BADPARAM;
	switch (id) {
	case SASL_CB_AUTHNAME:
	case SASL_CB_USER:
		*result = b->user;
		if (len)
			*len = (unsigned)strlen(b->user);
		return SASL_OK;
	default:
		return SASL_BADPARAM;
	}
}

static int cb_getsecret(sasl_conn_t *conn, void *context, int id, sasl_secret_t **psecret)
{
	struct bench *b = context;
	(void)conn;
	if (id != SASL_CB_PASS || psecret == NULL)
		return SASL_BADPARAM;
	*psecret = b->current_secret;
	return SASL_OK;
}

static sasl_secret_t *make_secret(const char *s)
{
	size_t len = strlen(s);
	sasl_secret_t *sec = malloc(sizeof(*sec) + len + 1);
	if (sec == NULL)
		die("out of memory");
	sec->len = len;
	memcpy(sec->data, s, len + 1);
	return sec;
}

/* ------------------------------------------------------ response validation */

static int mem_contains(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return 1;
	for (size_t i = 0; i + nlen <= haylen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

static int mem_starts(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	return len >= plen && memcmp(s, prefix, plen) == 0;
}

static int mem_ends(const char *s, size_t len, const char *suffix, size_t slen)
{
	return len >= slen && memcmp(s + len - slen, suffix, slen) == 0;
}

/* Full check of the wire format, done once per mechanism (outside the timed
 * loops). Returns NULL when fine, else what is wrong. */
static const char *check_format(const struct bench *b, const char *mech,
				const char *out, unsigned outlen)
{
	static const char bearer[] = "\001auth=Bearer ";
	static const char tail[] = "\001\001";
	if (strcmp(mech, "PLAIN") == 0) {
		/* authzid NUL authcid NUL password */
		const char *nul1 = memchr(out, '\0', outlen);
		if (nul1 == NULL)
			return "PLAIN response without NUL separators";
		size_t rest = outlen - (size_t)(nul1 + 1 - out);
		const char *nul2 = memchr(nul1 + 1, '\0', rest);
		if (nul2 == NULL)
			return "PLAIN response with one NUL separator";
		if ((size_t)(nul2 - nul1 - 1) != strlen(b->user) ||
		    memcmp(nul1 + 1, b->user, strlen(b->user)) != 0)
			return "PLAIN response with the wrong authentication id";
		return NULL;
	}
	if (strcmp(mech, "XOAUTH2") == 0) {
		if (!mem_starts(out, outlen, "user="))
			return "XOAUTH2 response does not start with \"user=\"";
	} else {
		if (!mem_starts(out, outlen, "n,"))
			return "OAUTHBEARER response does not start with the gs2 header \"n,\"";
	}
	if (!mem_contains(out, outlen, bearer, sizeof(bearer) - 1))
		return "response lacks \"\\x01auth=Bearer \"";
	if (!mem_ends(out, outlen, tail, sizeof(tail) - 1))
		return "response does not end with \"\\x01\\x01\"";
	if (b->expect_token) {
		size_t tlen = strlen(b->expect_token);
		char *want = malloc(sizeof(bearer) + tlen + sizeof(tail));
		if (want == NULL)
			die("out of memory");
		memcpy(want, bearer, sizeof(bearer) - 1);
		memcpy(want + sizeof(bearer) - 1, b->expect_token, tlen);
		memcpy(want + sizeof(bearer) - 1 + tlen, tail, sizeof(tail));
		int found = mem_ends(out, outlen, want, strlen(want));
		free(want);
		if (!found)
			return "response does not end with \"auth=Bearer <expected token>\\x01\\x01\"";
	}
	return NULL;
}

/* ------------------------------------------------------------ one auth */

/* Reports a failed authentication (iteration < 0: warmup) and exits. */
static void fail_auth(const char *mech, long iteration, const char *fmt, ...)
{
	va_list ap;
	if (iteration < 0)
		fprintf(stderr, "bench_auth: FAIL: %s (warmup): ", mech);
	else
		fprintf(stderr, "bench_auth: FAIL: %s iteration %ld: ", mech, iteration);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void auth_once(struct bench *b, const char *mech, sasl_callback_t *cbs,
		      int full_check, long iteration)
{
	sasl_conn_t *conn = NULL;
	const char *out = NULL, *chosen = NULL;
	unsigned outlen = 0;
	int r;

	r = sasl_client_new("imap", "mail.example.com", NULL, "127.0.0.1;993", cbs, 0, &conn);
	if (r != SASL_OK)
		fail_auth(mech, iteration, "sasl_client_new: %s", sasl_errstring(r, NULL, NULL));
	r = sasl_client_start(conn, mech, NULL, &out, &outlen, &chosen);
	if (r != SASL_OK && r != SASL_CONTINUE)
		fail_auth(mech, iteration, "sasl_client_start returned %d (%s): %s", r,
			  sasl_errstring(r, NULL, NULL), sasl_errdetail(conn));
	if (chosen == NULL || strcmp(chosen, mech) != 0)
		fail_auth(mech, iteration, "libsasl2 chose mechanism %s",
			  chosen ? chosen : "(none)");
	if (out == NULL || outlen == 0)
		fail_auth(mech, iteration, "empty initial response (sasl_client_start returned %s)",
			  sasl_errstring(r, NULL, NULL));
	if (full_check) {
		const char *why = check_format(b, mech, out, outlen);
		if (why)
			fail_auth(mech, iteration, "%s (initial response of %u bytes)", why, outlen);
		if (b->verbose)
			fprintf(stderr, "bench_auth: %s: sasl_client_start -> %s, %u bytes\n",
				mech, r == SASL_OK ? "SASL_OK" : "SASL_CONTINUE", outlen);
	}
	sasl_dispose(&conn);
}

/* ---------------------------------------------------------------- timing */

static double now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Nearest-rank p90 of a sorted array. */
static double p90_sorted(const double *v, int n)
{
	int rank = (9 * n + 9) / 10; /* ceil(0.9 n) */
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fputs("usage: bench_auth [options] [PLUGIN_DIR [TOKEN_FILE [ITERATIONS]]]\n"
	      "  --plugin-dir DIR   SASL plugin directory (env BENCH_PLUGIN_DIR)\n"
	      "  --token-file FILE  token file for XOAUTH2/OAUTHBEARER (env BENCH_TOKEN_FILE)\n"
	      "  --iterations N     authentications per mechanism per round (default 2000);\n"
	      "                     with --mech: the total number of authentications\n"
	      "  --rounds R         timing rounds (default 15)\n"
	      "  --warmup W         untimed authentications per mechanism first (default 200)\n"
	      "  --mech M           run only mechanism M, N times, no timing output\n"
	      "  --mechs LIST       comma-separated mechanisms to time (default\n"
	      "                     PLAIN,XOAUTH2,OAUTHBEARER; PLAIN is the baseline)\n"
	      "  --target X         pass when median <= X times PLAIN's (default 1.5)\n"
	      "  --user U           authentication id (default alice@example.com)\n"
	      "  --password P       PLAIN's password (default secret)\n"
	      "  --expect-token T   check that responses carry this bearer token\n"
	      "                     (env BENCH_EXPECT_TOKEN)\n"
	      "  --verbose          print every SASL log line\n",
	      f);
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bench_auth: %s: expected an integer in [%ld, %ld], got \"%s\"\n",
			opt, min, max, s);
		exit(2);
	}
	return v;
}

static int known_mech(const char *m)
{
	for (int i = 0; i < MAX_MECHS; i++)
		if (strcmp(m, all_mechs[i]) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	long iterations = -1, rounds = 15, warmup = 200;
	double target = 1.5;
	const char *single = NULL;
	const char *mechs[MAX_MECHS];
	int nmechs = 0;
	const char *mechs_arg = NULL;
	int npos = 0;

	b.plugin_dir = getenv("BENCH_PLUGIN_DIR");
	b.token_file = getenv("BENCH_TOKEN_FILE");
	b.expect_token = getenv("BENCH_EXPECT_TOKEN");
	if (b.expect_token && !*b.expect_token)
		b.expect_token = NULL;
	b.user = "alice@example.com";
	b.password = "secret";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
#define NEEDS_ARG() do { if (v == NULL) { fprintf(stderr, "bench_auth: %s needs an argument\n", a); return 2; } i++; } while (0)
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--plugin-dir") == 0) {
			NEEDS_ARG(); b.plugin_dir = v;
		} else if (strcmp(a, "--token-file") == 0) {
			NEEDS_ARG(); b.token_file = v;
		} else if (strcmp(a, "--iterations") == 0) {
			NEEDS_ARG(); iterations = parse_long(a, v, 1, 100000000L);
		} else if (strcmp(a, "--rounds") == 0) {
			NEEDS_ARG(); rounds = parse_long(a, v, 1, MAX_ROUNDS);
		} else if (strcmp(a, "--warmup") == 0) {
			NEEDS_ARG(); warmup = parse_long(a, v, 0, 100000000L);
		} else if (strcmp(a, "--mech") == 0) {
			NEEDS_ARG(); single = v;
		} else if (strcmp(a, "--mechs") == 0) {
			NEEDS_ARG(); mechs_arg = v;
		} else if (strcmp(a, "--target") == 0) {
			NEEDS_ARG();
			char *end;
			target = strtod(v, &end);
			if (end == v || *end || !(target > 0)) {
				fprintf(stderr, "bench_auth: --target: bad number \"%s\"\n", v);
				return 2;
			}
		} else if (strcmp(a, "--user") == 0) {
			NEEDS_ARG(); b.user = v;
		} else if (strcmp(a, "--password") == 0) {
			NEEDS_ARG(); b.password = v;
		} else if (strcmp(a, "--expect-token") == 0) {
			NEEDS_ARG(); b.expect_token = v;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			b.verbose = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "bench_auth: unknown option %s\n", a);
			usage(stderr);
			return 2;
		} else {
			switch (npos++) {
			case 0: b.plugin_dir = a; break;
			case 1: b.token_file = a; break;
			case 2: iterations = parse_long("ITERATIONS", a, 1, 100000000L); break;
			default:
				fprintf(stderr, "bench_auth: too many arguments\n");
				usage(stderr);
				return 2;
			}
		}
#undef NEEDS_ARG
	}

	if (single) {
		if (!known_mech(single)) {
			fprintf(stderr, "bench_auth: --mech: unknown mechanism %s\n", single);
			return 2;
		}
		mechs[nmechs++] = single;
	} else if (mechs_arg) {
		char *copy = strdup(mechs_arg), *save = NULL;
		if (copy == NULL)
			die("out of memory");
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int idx = -1;
			for (int k = 0; k < MAX_MECHS; k++)
				if (strcmp(t, all_mechs[k]) == 0)
					idx = k;
			if (idx < 0 || nmechs == MAX_MECHS) {
				fprintf(stderr, "bench_auth: --mechs: bad or repeated mechanism %s\n", t);
				free(copy);
				return 2;
			}
			mechs[nmechs++] = all_mechs[idx]; /* static storage, outlives copy */
		}
		free(copy);
		if (nmechs == 0 || strcmp(mechs[0], "PLAIN") != 0) {
			fprintf(stderr, "bench_auth: --mechs must start with PLAIN (the baseline)\n");
			return 2;
		}
	} else {
		for (int k = 0; k < MAX_MECHS; k++)
			mechs[nmechs++] = all_mechs[k];
	}
	if (iterations < 0)
		iterations = single ? 1000 : 2000;

	if (b.plugin_dir == NULL || !*b.plugin_dir) {
		fprintf(stderr, "bench_auth: no plugin directory (argument or BENCH_PLUGIN_DIR)\n");
		usage(stderr);
		return 2;
	}
	int needs_token = 0;
	for (int k = 0; k < nmechs; k++)
		if (strcmp(mechs[k], "PLAIN") != 0)
			needs_token = 1;
	if (needs_token && (b.token_file == NULL || b.token_file[0] != '/')) {
		fprintf(stderr, "bench_auth: need an absolute token file path "
				"(argument or BENCH_TOKEN_FILE)\n");
		return 2;
	}

	b.secret_password = make_secret(b.password);
	b.secret_token_path = make_secret(b.token_file ? b.token_file : "");

	sasl_callback_t global_cbs[] = {
		{ SASL_CB_GETPATH, CB_PROC(cb_getpath), &b },
		{ SASL_CB_LOG, CB_PROC(cb_log), &b },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	sasl_callback_t conn_cbs[] = {
		{ SASL_CB_AUTHNAME, CB_PROC(cb_getsimple), &b },
		{ SASL_CB_USER, CB_PROC(cb_getsimple), &b },
		{ SASL_CB_PASS, CB_PROC(cb_getsecret), &b },
		{ SASL_CB_LOG, CB_PROC(cb_log), &b },
		{ SASL_CB_LIST_END, NULL, NULL },
	};

	int r = sasl_client_init(global_cbs);
	if (r != SASL_OK)
		die("sasl_client_init: %s", sasl_errstring(r, NULL, NULL));

	int status = 0;
	if (single) {
		b.current_secret = strcmp(single, "PLAIN") == 0 ? b.secret_password
								 : b.secret_token_path;
		for (long it = 0; it < iterations; it++)
			auth_once(&b, single, conn_cbs, it == 0, it);
	} else {
		static double ns[MAX_MECHS][MAX_ROUNDS];
		double med[MAX_MECHS], p90[MAX_MECHS];

		for (int k = 0; k < nmechs; k++) {
			b.current_secret = strcmp(mechs[k], "PLAIN") == 0 ? b.secret_password
									  : b.secret_token_path;
			auth_once(&b, mechs[k], conn_cbs, 1, -1);
			for (long it = 0; it < warmup; it++)
				auth_once(&b, mechs[k], conn_cbs, 0, -1);
		}
		for (long rd = 0; rd < rounds; rd++) {
			for (int j = 0; j < nmechs; j++) {
				int k = (int)((rd + j) % nmechs); /* rotate the order */
				b.current_secret = strcmp(mechs[k], "PLAIN") == 0
							   ? b.secret_password
							   : b.secret_token_path;
				double t0 = now_ns();
				for (long it = 0; it < iterations; it++)
					auth_once(&b, mechs[k], conn_cbs, 0, it);
				double t1 = now_ns();
				ns[k][rd] = (t1 - t0) / (double)iterations;
			}
		}
		for (int k = 0; k < nmechs; k++) {
			med[k] = median(ns[k], (int)rounds);
			p90[k] = p90_sorted(ns[k], (int)rounds);
		}

		printf("bench_auth: %ld rounds x %ld authentications per mechanism "
		       "(after %ld warmup), client_new+client_start+dispose\n",
		       rounds, iterations, warmup);
		printf("%-12s %14s %14s %14s %14s\n", "mechanism", "median ns/auth",
		       "p90 ns/auth", "min ns/auth", "median/PLAIN");
		for (int k = 0; k < nmechs; k++)
			printf("%-12s %14.0f %14.0f %14.0f %13.2fx\n", mechs[k], med[k], p90[k],
			       ns[k][0], med[k] / med[0]);
		for (int k = 1; k < nmechs; k++) {
			int pass = med[k] <= target * med[0];
			printf("%s: %s median %.0f ns = %.2fx PLAIN (target <= %.2fx)\n",
			       pass ? "PASS" : "FAIL", mechs[k], med[k], med[k] / med[0], target);
			if (!pass)
				status = 1;
		}
		if (nmechs == 1)
			printf("NOTE: only PLAIN measured, no target checked\n");
		else
			printf("%s: timing target median <= %.2fx PLAIN\n",
			       status ? "FAIL" : "PASS", target);
	}

	sasl_client_done();
	free(b.secret_password);
	free(b.secret_token_path);
	if (b.log_errors || b.log_warnings)
		fprintf(stderr, "bench_auth: note: libsasl2/plugins logged %lu error and "
				"%lu warning lines\n", b.log_errors, b.log_warnings);
	return status;
}
