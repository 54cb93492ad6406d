/*
 * One client authentication through libsasl2, the way Postfix does it
 * (function callbacks, no prompts), for shell tests that need many
 * processes or a process to kill.
 *
 *   sasl_auth PLUGIN_DIR MECH USER SECRET [CHALLENGE]
 *
 * Runs sasl_client_new + sasl_client_start (and, when the plugin withheld
 * the initial response from the AUTH line, the step with the server's empty
 * challenge that sends it); with CHALLENGE, also feeds it as the server's
 * error challenge. Prints "OK <first 6 bytes of the bearer
 * token>" or "FAIL <rc> <detail>" on stdout, and every libsasl2 log line as
 * "LOG <level> <text>" on stderr. Exit 0 on OK, 1 on FAIL, 2 on misuse.
 *
 * With SASL_AUTH_CHROOT=DIR (root only), the process chroots to DIR right
 * after sasl_client_init, as Postfix's smtp does after loading its plugins.
 *
 * With SASL_AUTH_BARRIER=FILE (benchmarks), the process initializes
 * libsasl2 and its plugins first, as a long-running mail client has done
 * long before its token expires, creates FILE.ready.PID, waits for a shared
 * flock(2) on FILE, and then prints "TIME <start µs> <end µs>" (CLOCK_REALTIME)
 * on stdout around sasl_client_new + sasl_client_start only. It then stays
 * alive for a second, as a mail client goes on with its session, so that
 * the exit of the processes done first (unmapping some forty libraries)
 * does not take the CPU from those still authenticating.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>

#define CB(f) ((int (*)(void))(void (*)(void))(f))

static const char *plugin_dir, *user, *secret;
static sasl_secret_t *secret_buf;

static int cb_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "LOG %d %s\n", level, msg);
	return SASL_OK;
}

static int cb_getpath(void *ctx, const char **path)
{
	(void)ctx;
	*path = plugin_dir;
	return SASL_OK;
}

static int cb_simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx; (void)id;
	*result = user;
	if (len)
		*len = (unsigned)strlen(user);
	return SASL_OK;
}

static int cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	size_t n = strlen(secret);

	(void)conn; (void)ctx; (void)id;
	free(secret_buf);
	secret_buf = malloc(sizeof(sasl_secret_t) + n);
	if (secret_buf == NULL)
		return SASL_NOMEM;
	secret_buf->len = n;
	memcpy(secret_buf->data, secret, n + 1);
	*psecret = secret_buf;
	return SASL_OK;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Says it is ready, then blocks until the launcher releases FILE. */
static int wait_barrier(const char *file)
{
	char ready[4096];
	int fd;

	snprintf(ready, sizeof(ready), "%s.ready.%ld", file, (long)getpid());
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	fd = open(file, O_RDONLY);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_SH) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *barrier = getenv("SASL_AUTH_BARRIER");
	const char *jail = getenv("SASL_AUTH_CHROOT");
	long long t_start = 0, t_end = 0;
	static sasl_callback_t global[] = {
		{ SASL_CB_LOG, CB(cb_log), NULL },
		{ SASL_CB_GETPATH, CB(cb_getpath), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	static sasl_callback_t cbs[] = {
		{ SASL_CB_AUTHNAME, CB(cb_simple), NULL },
		{ SASL_CB_USER, CB(cb_simple), NULL },
		{ SASL_CB_PASS, CB(cb_pass), NULL },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	sasl_conn_t *conn = NULL;
	const char *out = NULL, *mech = NULL, *bearer;
	unsigned outlen = 0;
	int rc, ok;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: %s PLUGIN_DIR MECH USER SECRET [CHALLENGE]\n", argv[0]);
		return 2;
	}
	plugin_dir = argv[1];
	user = argv[3];
	secret = argv[4];
	rc = sasl_client_init(global);
	if (rc == SASL_OK && jail != NULL && *jail != '\0' && (chroot(jail) != 0 || chdir("/") != 0)) {
		perror(jail);
		return 2;
	}
	if (rc == SASL_OK && barrier != NULL && *barrier != '\0') {
		if (wait_barrier(barrier) != 0) {
			perror(barrier);
			return 2;
		}
		t_start = now_us();
	}
	if (rc == SASL_OK)
		rc = sasl_client_new("smtp", "mail.example.com", NULL, "127.0.0.1;587", cbs, 0, &conn);
	if (rc == SASL_OK)
		rc = sasl_client_start(conn, argv[2], NULL, &out, &outlen, &mech);
	if (t_start != 0)
		t_end = now_us();
	/* A first step without output withheld an initial response too long
	 * for the AUTH line: Postfix then sends "AUTH MECH" alone and steps
	 * with the server's empty 334 challenge to get it. */
	if (rc == SASL_CONTINUE && outlen == 0)
		rc = sasl_client_step(conn, "", 0, NULL, &out, &outlen);
	/* The plugin's first step returns SASL_CONTINUE: the server answers
	 * with success or an error challenge, and the step that takes the
	 * challenge returns SASL_OK. */
	if (rc == SASL_CONTINUE && argc == 6)
		rc = sasl_client_step(conn, argv[5], (unsigned)strlen(argv[5]), NULL, &out, &outlen);
	else if (rc == SASL_OK) {
		printf("FAIL %d the first step returned SASL_OK: it must not end the exchange\n", rc);
		rc = SASL_BADPROT;
	}
	ok = argc == 6 ? rc == SASL_OK : rc == SASL_CONTINUE;
	if (ok) {
		bearer = (argc == 5 && out) ? strstr(out, "auth=Bearer ") : NULL;
		printf("OK %.6s\n", bearer ? bearer + 12 : "");
	} else if (rc != SASL_BADPROT || argc == 6) {
		printf("FAIL %d %s\n", rc, conn ? sasl_errdetail(conn) : sasl_errstring(rc, NULL, NULL));
	}
	if (t_start != 0) {
		printf("TIME %lld %lld\n", t_start, t_end);
		sleep(1);
	}
	sasl_dispose(&conn);
	sasl_client_done();
	free(secret_buf);
	return ok ? 0 : 1;
}
