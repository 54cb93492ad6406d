#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mailconn.h"
#include "sasl-oauth2/server_error.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to become readable/writable until deadline. 0, or -1 with
 * errno ETIMEDOUT. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - now_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

void mailconn_note(struct mailconn *c, const char *fmt, ...)
{
	va_list ap;

	fputs("* ", c->out);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
	fflush(c->out);
}

static int connect_one(const struct addrinfo *ai, long long deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (wait_fd(fd, POLLOUT, deadline) != 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

int mailconn_open(struct mailconn *c, const char *host, const char *port, int timeout_s,
		  FILE *out, struct oa2_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char addr[INET6_ADDRSTRLEN];
	long long deadline;
	int rc, saved = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->out = out;
	c->timeout_ms = timeout_s * 1000;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->buf = malloc(MAILCONN_LINE_MAX + 2);
	if (c->buf == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return oa2_err_set(err, OA2_ERR_NET, "cannot resolve %s: %s", host, gai_strerror(rc));
	deadline = now_ms() + c->timeout_ms;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

		if (inet_ntop(ai->ai_family, a, addr, sizeof(addr)) == NULL)
			snprintf(addr, sizeof(addr), "?");
		mailconn_note(c, "connecting to %s (%s) port %s", host, addr, port);
		c->fd = connect_one(ai, deadline);
		if (c->fd >= 0) {
			c->loopback = ai->ai_family == AF_INET6
				? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr)
				: (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
			break;
		}
		saved = errno;
		mailconn_note(c, "%s port %s: %s", addr, port, strerror(saved));
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return oa2_err_set(err, OA2_ERR_NET, "cannot connect to %s port %s: %s", host, port,
				   saved == ETIMEDOUT ? "no answer within the timeout" :
				   strerror(saved));
	mailconn_note(c, "connected");
	return OA2_OK;
}

/* What OpenSSL says went wrong, for err. */
static const char *ssl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, n, "%s", errno ? strerror(errno) : "connection closed");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

/* Runs one SSL operation to completion within the deadline. Returns its
 * result (> 0 success), or <= 0 with errno/OpenSSL error set. */
static int ssl_retry(struct mailconn *c, int (*op)(SSL *, void *, int), void *p, int n,
		     long long deadline)
{
	for (;;) {
		int r = op(c->ssl, p, n), e;

		if (r > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ) {
			if (wait_fd(c->fd, POLLIN, deadline) != 0)
				return -1;
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (wait_fd(c->fd, POLLOUT, deadline) != 0)
				return -1;
		} else {
			if (e == SSL_ERROR_ZERO_RETURN)
				errno = 0;
			return r;
		}
	}
}

static int op_connect(SSL *s, void *p, int n)
{
	(void)p; (void)n;
	return SSL_connect(s);
}

static int op_read(SSL *s, void *p, int n)
{
	return SSL_read(s, p, n);
}

static int op_write(SSL *s, void *p, int n)
{
	return SSL_write(s, p, n);
}

static int load_blob(SSL_CTX *ctx, const void *blob, size_t len)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *bio = BIO_new_mem_buf(blob, (int)len);
	X509 *x;
	int n = 0;

	if (bio == NULL)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, x) == 1)
			n++;
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error(); /* the end of the bundle reads as an error */
	return n;
}

static void describe_peer(struct mailconn *c)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
#else
	X509 *cert = SSL_get_peer_certificate(c->ssl);
#endif
	char subject[256] = "?", issuer[256] = "?";

	if (cert != NULL) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		X509_NAME_oneline(X509_get_issuer_name(cert), issuer, sizeof(issuer));
		X509_free(cert);
	}
	mailconn_note(c, "%s, %s; certificate verified for %s (subject %s, issuer %s)",
		      SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl), c->host, subject,
		      issuer);
}

int mailconn_tls(struct mailconn *c, const char *ca_file, const void *ca_blob, size_t ca_len,
		 struct oa2_err *err)
{
	char why[256];
	unsigned char ip[16];
	int is_ip, r;
	long vr;

	if (c->len != 0) /* bytes sent before the handshake: an injection attempt */
		return oa2_err_set(err, OA2_ERR_NET, "the server sent data after agreeing to "
				   "start TLS; refusing to go on");
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "TLS: %s", ssl_reason(why, sizeof(why)));
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1)
			return oa2_err_set(err, OA2_ERR_CONFIG, "TLS: cannot load CA file %s: %s",
					   ca_file, ssl_reason(why, sizeof(why)));
	} else if (ca_blob == NULL || load_blob(c->ctx, ca_blob, ca_len) == 0) {
		return oa2_err_set(err, OA2_ERR_CONFIG, "TLS: no CA certificates to verify the "
				   "server with; set ca_bundle in the config file or use --ca-file");
	}
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return oa2_err_set(err, OA2_ERR_NOMEM, "TLS: %s", ssl_reason(why, sizeof(why)));
	is_ip = inet_pton(AF_INET, c->host, ip) == 1 || inet_pton(AF_INET6, c->host, ip) == 1;
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host) != 1)
			return oa2_err_set(err, OA2_ERR_INVALID, "TLS: bad address %s", c->host);
	} else {
		SSL_set_tlsext_host_name(c->ssl, c->host);
		if (SSL_set1_host(c->ssl, c->host) != 1)
			return oa2_err_set(err, OA2_ERR_INVALID, "TLS: bad host name %s", c->host);
	}
	mailconn_note(c, "TLS handshake, verifying the certificate for %s", c->host);
	errno = 0;
	r = ssl_retry(c, op_connect, NULL, 0, now_ms() + c->timeout_ms);
	if (r <= 0) {
		vr = SSL_get_verify_result(c->ssl);
		if (vr != X509_V_OK)
			return oa2_err_set(err, OA2_ERR_UNSAFE, "TLS: the certificate of %s does not "
					   "verify: %s; check the host name, or give the CA with "
					   "--ca-file (or ca_bundle in the config)", c->host,
					   X509_verify_cert_error_string(vr));
		return oa2_err_set(err, OA2_ERR_NET, "TLS handshake with %s failed: %s", c->host,
				   errno == ETIMEDOUT ? "timed out" : ssl_reason(why, sizeof(why)));
	}
	describe_peer(c);
	return OA2_OK;
}

/* Reads more bytes into c->buf. */
static int fill(struct mailconn *c, struct oa2_err *err)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t room = MAILCONN_LINE_MAX + 1 - c->len;
	char why[256];
	ssize_t n;

	if (c->ssl != NULL) {
		errno = 0;
		n = ssl_retry(c, op_read, c->buf + c->len, (int)room, deadline);
		if (n <= 0)
			return oa2_err_set(err, OA2_ERR_NET, "%s", errno == ETIMEDOUT
					   ? "the server sent nothing within the timeout"
					   : n == 0 || errno == 0 ? "the server closed the connection"
					   : ssl_reason(why, sizeof(why)));
	} else {
		for (;;) {
			n = recv(c->fd, c->buf + c->len, room, 0);
			if (n >= 0)
				break;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return oa2_err_set(err, OA2_ERR_NET, "reading from the server: %s",
						   strerror(errno));
			if (wait_fd(c->fd, POLLIN, deadline) != 0)
				return oa2_err_set(err, OA2_ERR_NET,
						   "the server sent nothing within the timeout");
		}
		if (n == 0)
			return oa2_err_set(err, OA2_ERR_NET, "the server closed the connection");
	}
	c->len += (size_t)n;
	return OA2_OK;
}

int mailconn_read(struct mailconn *c, size_t *len, struct oa2_err *err)
{
	char shown[1024];
	char *nl;
	size_t n;
	int rc;

	free(c->line);
	c->line = NULL;
	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len > MAILCONN_LINE_MAX)
			return oa2_err_set(err, OA2_ERR_TOOBIG, "the server sent a line longer than "
					   "%d bytes", MAILCONN_LINE_MAX);
		if ((rc = fill(c, err)) != OA2_OK)
			return rc;
	}
	n = (size_t)(nl - c->buf);
	c->line = malloc(n + 1);
	if (c->line == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	memcpy(c->line, c->buf, n);
	c->line[n] = '\0';
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (n > 0 && c->line[n - 1] == '\r')
		c->line[--n] = '\0';
	if (memchr(c->line, '\0', n) != NULL)
		return oa2_err_set(err, OA2_ERR_PARSE, "the server sent a NUL byte");
	oa2_printable(c->line, n, shown, sizeof(shown));
	fprintf(c->out, "S: %s\n", shown);
	fflush(c->out);
	*len = n;
	return OA2_OK;
}

static int send_all(struct mailconn *c, const char *p, size_t n, struct oa2_err *err)
{
	long long deadline = now_ms() + c->timeout_ms;
	char why[256];

	while (n > 0) {
		ssize_t w;

		if (c->ssl != NULL) {
			errno = 0;
			w = ssl_retry(c, op_write, (void *)p, (int)n, deadline);
			if (w <= 0)
				return oa2_err_set(err, OA2_ERR_NET, "writing to the server: %s",
						   errno == ETIMEDOUT ? "timed out"
						   : ssl_reason(why, sizeof(why)));
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				if (wait_fd(c->fd, POLLOUT, deadline) != 0)
					return oa2_err_set(err, OA2_ERR_NET, "writing to the server "
							   "timed out");
				continue;
			}
			if (w < 0)
				return oa2_err_set(err, OA2_ERR_NET, "writing to the server: %s",
						   strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return OA2_OK;
}

int mailconn_write(struct mailconn *c, const char *line, const char *shown, struct oa2_err *err)
{
	int rc;

	fprintf(c->out, "C: %s\n", shown != NULL ? shown : line);
	fflush(c->out);
	rc = send_all(c, line, strlen(line), err);
	if (rc == OA2_OK)
		rc = send_all(c, "\r\n", 2, err);
	return rc;
}

void mailconn_close(struct mailconn *c)
{
	if (c->ssl != NULL) {
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c->line);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
	c->buf = NULL;
	c->line = NULL;
}
