#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "sasl-oauth2/buf.h"

#include "redirect_listener.h"
#include "redirect_params.h"

struct conn {
	int fd;                /* -1: free slot */
	int draining;          /* answered: what it still sends is read and dropped */
	long long deadline;    /* ms, monotonic: the connection is closed then */
	size_t len;
	char buf[REDIRECT_REQUEST_MAX + 1];
};

/* What one redirect_wait call is after, and how it ended. */
struct wait {
	struct redirect_listener *l;
	const char *state;
	long long now, end;    /* ms, monotonic */
	int *client;
	char **code;
	int rc;
	struct oa2_err *err;
};

enum verdict { KEEP_WAITING, DONE, FAILED };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Binds and listens on the loopback address of family; 0 or an errno. */
static int bind_loopback(int family, int port, int *fdp)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr *sa = (struct sockaddr *)&v4;
	socklen_t salen = sizeof(v4);
	int one = 1, e, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	*fdp = -1;
	if (fd < 0)
		return errno;
	/* Lets a fixed --port be reused right after a previous run (TIME_WAIT);
	 * Linux still refuses it while another socket listens there. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (family == AF_INET6) {
		/* ::1 only: 127.0.0.1 has its own socket */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		v6.sin6_family = AF_INET6;
		v6.sin6_port = htons((unsigned short)port);
		v6.sin6_addr = in6addr_loopback;
		sa = (struct sockaddr *)&v6;
		salen = sizeof(v6);
	} else {
		v4.sin_family = AF_INET;
		v4.sin_port = htons((unsigned short)port);
		v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (bind(fd, sa, salen) != 0 || listen(fd, 16) != 0) {
		e = errno;
		close(fd);
		return e;
	}
	*fdp = fd;
	return 0;
}

static int bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	return getsockname(fd, (struct sockaddr *)&sin, &len) == 0 ? ntohs(sin.sin_port) : -1;
}

int redirect_listen(struct redirect_listener *l, const char *host, int port,
		    struct oa2_err *err)
{
	int dual = strcmp(host, "localhost") == 0, e = 0;
	const char *addr = "127.0.0.1";

	l->fd[0] = l->fd[1] = -1;
	l->host = host;
	l->port = port;
	l->strays = 0;
	/* A free port on 127.0.0.1 may be taken on ::1: then try another. */
	for (int tries = 0; tries < 16; tries++) {
		addr = "127.0.0.1";
		e = bind_loopback(AF_INET, port, &l->fd[0]);
		if (e != 0)
			break;
		l->port = bound_port(l->fd[0]);
		if (!dual)
			return OA2_OK;
		addr = "::1";
		e = bind_loopback(AF_INET6, l->port, &l->fd[1]);
		if (e == EADDRNOTAVAIL || e == EAFNOSUPPORT)
			e = 0; /* no IPv6 on this host: browsers resolve localhost to 127.0.0.1 */
		if (e == 0)
			return OA2_OK;
		redirect_close(l);
		if (e != EADDRINUSE || port != 0)
			break;
	}
	if (e == EADDRINUSE)
		return oa2_err_set(err, OA2_ERR_INVALID, "port %d on %s is in use by another "
				   "program: choose another with --port, or leave --port out to get "
				   "a free one", port ? port : l->port, addr);
	return oa2_err_set(err, OA2_ERR_INVALID, "cannot listen on %s port %d: %s", addr, port,
			   strerror(e));
}

void redirect_close(struct redirect_listener *l)
{
	for (int i = 0; i < 2; i++) {
		if (l->fd[i] >= 0)
			close(l->fd[i]);
		l->fd[i] = -1;
	}
}

static void html_escaped(struct oa2_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': oa2_buf_puts(b, "&lt;"); break;
		case '>': oa2_buf_puts(b, "&gt;"); break;
		case '&': oa2_buf_puts(b, "&amp;"); break;
		case '"': oa2_buf_puts(b, "&quot;"); break;
		case '\'': oa2_buf_puts(b, "&#39;"); break;
		default: oa2_buf_putc(b, *s);
		}
	}
}

/* A whole HTTP answer in *msg (initialised here): a short HTML page. */
static void build_reply(struct oa2_buf *msg, int status, const char *headline, const char *detail)
{
	struct oa2_buf body;
	char head[256];

	oa2_buf_init(&body, 8192);
	oa2_buf_puts(&body, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		     "<title>sasl-oauth2</title></head>\n<body style=\"font-family:sans-serif;"
		     "margin:3em;max-width:40em\"><h1>");
	html_escaped(&body, headline);
	oa2_buf_puts(&body, "</h1>\n<p>");
	html_escaped(&body, detail);
	oa2_buf_puts(&body, "</p>\n</body></html>\n");
	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: text/html; charset=utf-8\r\n"
		 "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
		 status == 200 ? "200 OK" : status == 404 ? "404 Not Found" :
		 status == 405 ? "405 Method Not Allowed" :
		 status == 431 ? "431 Request Header Fields Too Large" : "400 Bad Request",
		 body.len);
	oa2_buf_init(msg, sizeof(head) + body.len + 1);
	oa2_buf_puts(msg, head);
	oa2_buf_put(msg, body.data, body.len);
	oa2_buf_clear(&body);
}

/* Closes a connection whose answer is sent: first reads what the client
 * still sends, for at most REDIRECT_DRAIN_MS in all, so the close does not
 * reset the connection and throw the answer away before it was read. */
static void finish(int fd)
{
	long long end = now_ms() + REDIRECT_DRAIN_MS, left;
	char sink[4096];

	shutdown(fd, SHUT_WR);
	while ((left = end - now_ms()) > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) <= 0 || recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	}
	OPENSSL_cleanse(sink, sizeof(sink));
	close(fd);
}

void redirect_reply(int fd, int status, const char *headline, const char *detail)
{
	struct timeval tv = { 1, 0 };
	struct oa2_buf msg;
	long long end = now_ms() + 5000;
	int flags;

	if (fd < 0)
		return;
	build_reply(&msg, status, headline, detail);
	/* Blocking with a time limit: a browser that stops reading must not
	 * hold the command. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; !msg.failed && off < msg.len && now_ms() < end;) {
		ssize_t w = send(fd, msg.data + off, msg.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	finish(fd);
	oa2_buf_clear(&msg);
}

static void drop(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	OPENSSL_cleanse(c->buf, c->len);
	c->fd = -1;
	c->len = 0;
	c->draining = 0;
}

/* Answers a request that does not end the wait, without blocking (the page
 * is small: what the socket does not take at once is dropped), and leaves
 * the connection to drain for a short while. */
static void refuse(struct wait *w, struct conn *c, int status, const char *headline,
		   const char *detail)
{
	struct oa2_buf msg;

	build_reply(&msg, status, headline, detail);
	if (!msg.failed)
		(void)!send(c->fd, msg.data, msg.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	oa2_buf_clear(&msg);
	shutdown(c->fd, SHUT_WR);
	OPENSSL_cleanse(c->buf, c->len);
	c->len = 0;
	c->draining = 1;
	c->deadline = w->now + REDIRECT_DRAIN_MS < w->end ? w->now + REDIRECT_DRAIN_MS : w->end;
	w->l->strays++;
}

/* One complete request: ends the wait if it is this sign-in's answer,
 * refuses it otherwise. */
static enum verdict handle(struct wait *w, struct conn *c)
{
	struct redirect_params p;
	char *target, *sp, *q;
	size_t tlen;
	int rc;

	c->buf[c->len] = '\0';
	if (strncmp(c->buf, "GET ", 4) != 0) {
		refuse(w, c, 405, "Not allowed", "This address only takes the answer of a sign-in.");
		return KEEP_WAITING;
	}
	target = c->buf + 4;
	sp = strpbrk(target, " \r\n");
	tlen = sp ? (size_t)(sp - target) : strlen(target);
	target[tlen] = '\0';
	q = strchr(target, '?');
	if (q != NULL)
		*q++ = '\0';
	if (strcmp(target, "/") != 0) { /* /favicon.ico and the like */
		refuse(w, c, 404, "Not found", "This address only takes the answer of a sign-in.");
		return KEEP_WAITING;
	}
	if (q != NULL && strchr(q, '#') != NULL)
		*strchr(q, '#') = '\0';
	if (redirect_params_parse(q ? q : "", q ? strlen(q) : 0, &p) != 0 ||
	    !redirect_params_any(&p)) {
		refuse(w, c, 400, "Not a sign-in answer",
		       "This address only takes the answer of a sign-in.");
		return KEEP_WAITING;
	}
	/* Anyone on this host can connect: only the browser that holds the
	 * state may end the sign-in, with a code or with an error. */
	if (!redirect_params_state_matches(&p, w->state)) {
		redirect_params_clear(&p);
		refuse(w, c, 400, "Not this sign-in",
		       "This answer carries another state than the sign-in waiting here (a stale "
		       "browser tab, or a forged request); it was ignored.");
		return KEEP_WAITING;
	}
	rc = redirect_params_check(&p, w->state, w->err);
	if (rc != OA2_OK) {
		redirect_reply(c->fd, 400, "Sign-in failed", w->err->msg);
		c->fd = -1;
		redirect_params_clear(&p);
		w->rc = rc;
		return FAILED;
	}
	*w->code = p.code;
	p.code = NULL;
	redirect_params_clear(&p);
	*w->client = c->fd;
	c->fd = -1;
	return DONE;
}

static int header_end(const struct conn *c)
{
	for (size_t i = 0; i + 1 < c->len; i++) {
		if (c->buf[i] == '\n' && c->buf[i + 1] == '\n')
			return 1;
		if (i + 3 < c->len && memcmp(c->buf + i, "\r\n\r\n", 4) == 0)
			return 1;
	}
	return 0;
}

/* Reads what is there; returns a verdict when the request is complete. */
static enum verdict on_readable(struct wait *w, struct conn *c)
{
	enum verdict v = KEEP_WAITING;
	char sink[1024];
	ssize_t n;

	if (c->draining) {
		n = recv(c->fd, sink, sizeof(sink), 0);
		OPENSSL_cleanse(sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			drop(c);
		return KEEP_WAITING;
	}
	n = recv(c->fd, c->buf + c->len, REDIRECT_REQUEST_MAX - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return KEEP_WAITING;
	if (n <= 0) {
		drop(c);
		return KEEP_WAITING;
	}
	c->len += (size_t)n;
	if (header_end(c)) {
		v = handle(w, c); /* refuses c, or hands c->fd on */
		if (!c->draining)
			drop(c);
	} else if (c->len >= REDIRECT_REQUEST_MAX) {
		refuse(w, c, 431, "Request too large", "This address only takes the answer of "
		       "a sign-in.");
	}
	return v;
}

static void on_accept(const struct wait *w, int lfd, struct conn *conns)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;
		if (fd < 0)
			return;
		for (int i = 0; i < REDIRECT_CONN_MAX && slot < 0; i++)
			if (conns[i].fd < 0)
				slot = i;
		if (slot < 0) { /* all busy: the one closest to its end goes */
			slot = 0;
			for (int i = 1; i < REDIRECT_CONN_MAX; i++)
				if (conns[i].deadline < conns[slot].deadline)
					slot = i;
			drop(&conns[slot]);
		}
		conns[slot].fd = fd;
		conns[slot].len = 0;
		conns[slot].draining = 0;
		conns[slot].deadline = w->now + REDIRECT_CONN_TIMEOUT * 1000LL;
		if (conns[slot].deadline > w->end)
			conns[slot].deadline = w->end;
	}
}

static void timed_out(const struct wait *w, long timeout)
{
	const struct redirect_listener *l = w->l;

	if (l->strays == 0)
		oa2_err_set(w->err, OA2_ERR_TEMPORARY, "no answer from the browser within %ld s "
			    "(nothing reached http://%s:%d/): sign in sooner, or give more time "
			    "with --timeout; nothing was saved", timeout, l->host, l->port);
	else
		oa2_err_set(w->err, OA2_ERR_TEMPORARY, "no answer from the browser within %ld s: "
			    "http://%s:%d/ got %u request(s) that did not belong to this sign-in "
			    "(another state or address: a stale browser tab or another program) and "
			    "ignored them; sign in again in the browser this command opened, or give "
			    "more time with --timeout; nothing was saved", timeout, l->host,
			    l->port, l->strays);
}

int redirect_wait(struct redirect_listener *l, const char *state, long timeout, int *client,
		  char **code, struct oa2_err *err)
{
	static struct conn conns[REDIRECT_CONN_MAX];
	struct pollfd pfd[REDIRECT_CONN_MAX + 2];
	struct wait w = { .l = l, .state = state, .client = client, .code = code,
			  .rc = OA2_ERR_TEMPORARY, .err = err };
	enum verdict v = KEEP_WAITING;
	int map[REDIRECT_CONN_MAX + 2];

	w.end = now_ms() + timeout * 1000LL;
	*client = -1;
	*code = NULL;
	for (int i = 0; i < REDIRECT_CONN_MAX; i++) {
		conns[i].fd = -1;
		conns[i].len = 0;
		conns[i].draining = 0;
	}
	while (v == KEEP_WAITING) {
		long long wake;
		int n = 0, nl;

		w.now = now_ms();
		wake = w.end;
		if (w.now >= w.end) {
			timed_out(&w, timeout);
			break;
		}
		for (int i = 0; i < 2; i++)
			if (l->fd[i] >= 0)
				pfd[n++] = (struct pollfd){ .fd = l->fd[i], .events = POLLIN };
		nl = n;
		for (int i = 0; i < REDIRECT_CONN_MAX; i++) {
			if (conns[i].fd < 0)
				continue;
			if (conns[i].deadline <= w.now) {
				drop(&conns[i]);
				continue;
			}
			if (conns[i].deadline < wake)
				wake = conns[i].deadline;
			pfd[n] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, (int)(wake - w.now)) < 0) {
			if (errno == EINTR)
				continue;
			w.rc = oa2_err_set(err, OA2_ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		w.now = now_ms();
		for (int k = nl; k < n && v == KEEP_WAITING; k++)
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				v = on_readable(&w, &conns[map[k]]);
		for (int k = 0; k < nl && v == KEEP_WAITING; k++)
			if (pfd[k].revents & POLLIN)
				on_accept(&w, pfd[k].fd, conns);
	}
	/* One answer only: whatever else is connected or queued is refused. */
	redirect_close(l);
	for (int i = 0; i < REDIRECT_CONN_MAX; i++)
		drop(&conns[i]);
	return v == DONE ? OA2_OK : w.rc;
}
