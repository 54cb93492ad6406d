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
	long long deadline;    /* ms, monotonic */
	size_t len;
	char buf[REDIRECT_REQUEST_MAX + 1];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int redirect_listen(struct redirect_listener *l, int port, struct oa2_err *err)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int one = 1, e;

	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	l->port = port;
	if (l->fd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot open a socket: %s", strerror(errno));
	/* Lets a fixed --port be reused right after a previous run (TIME_WAIT);
	 * Linux still refuses it while another socket listens there. */
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(l->fd, 16) != 0) {
		e = errno;
		redirect_close(l);
		if (e == EADDRINUSE)
			return oa2_err_set(err, OA2_ERR_INVALID,
					   "port %d on 127.0.0.1 is in use by another program: "
					   "choose another with --port, or leave --port out to get a "
					   "free one", port);
		return oa2_err_set(err, OA2_ERR_INVALID, "cannot listen on 127.0.0.1 port %d: %s",
				   port, strerror(e));
	}
	if (getsockname(l->fd, (struct sockaddr *)&sin, &len) == 0)
		l->port = ntohs(sin.sin_port);
	return OA2_OK;
}

void redirect_close(struct redirect_listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* Closes a connection whose answer is sent: reads what the client still
 * sends (briefly, bounded), so the close does not reset the connection and
 * throw the answer away before the client has read it. */
static void finish(int fd)
{
	char sink[4096];
	size_t total = 0;

	shutdown(fd, SHUT_WR);
	while (total < 64 * 1024) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 200) <= 0)
			break;
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	OPENSSL_cleanse(sink, sizeof(sink));
	close(fd);
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

void redirect_reply(int fd, int status, const char *headline, const char *detail)
{
	struct timeval tv = { 5, 0 };
	struct oa2_buf body, msg;
	char head[256];
	int flags;

	if (fd < 0)
		return;
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
		 status == 200 ? "200 OK" : status == 404 ? "404 Not Found" : "400 Bad Request",
		 body.len);
	oa2_buf_init(&msg, sizeof(head) + body.len + 1);
	oa2_buf_puts(&msg, head);
	oa2_buf_put(&msg, body.data, body.len);
	/* Blocking with a time limit: a browser that stops reading must not
	 * hold the command. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; !msg.failed && off < msg.len;) {
		ssize_t w = send(fd, msg.data + off, msg.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	finish(fd);
	oa2_buf_clear(&body);
	oa2_buf_clear(&msg);
}

static void reply_raw(int fd, const char *status)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "HTTP/1.1 %s\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n", status);

	(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL);
	finish(fd);
}

static void drop(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	OPENSSL_cleanse(c->buf, c->len);
	c->fd = -1;
	c->len = 0;
}

enum verdict { KEEP_WAITING, DONE, FAILED };

/* One complete request: answers it unless it is the one we wait for. */
static enum verdict handle(struct conn *c, const char *state, int *client, char **code,
			   int *rcp, struct oa2_err *err)
{
	struct redirect_params p;
	char *target, *sp, *q;
	size_t tlen;
	int rc;

	c->buf[c->len] = '\0';
	if (strncmp(c->buf, "GET ", 4) != 0) {
		reply_raw(c->fd, "405 Method Not Allowed");
		c->fd = -1;
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
		redirect_reply(c->fd, 404, "Not found",
			       "This address only takes the answer of a sign-in.");
		c->fd = -1;
		return KEEP_WAITING;
	}
	if (q != NULL && strchr(q, '#') != NULL)
		*strchr(q, '#') = '\0';
	if (redirect_params_parse(q ? q : "", q ? strlen(q) : 0, &p) != 0 ||
	    !redirect_params_any(&p)) {
		redirect_reply(c->fd, 400, "Not a sign-in answer",
			       "This address only takes the answer of a sign-in.");
		c->fd = -1;
		return KEEP_WAITING;
	}
	rc = redirect_params_check(&p, state, err);
	if (rc != OA2_OK) {
		redirect_reply(c->fd, 400, "Sign-in failed", err->msg);
		c->fd = -1;
		redirect_params_clear(&p);
		*rcp = rc;
		return FAILED;
	}
	*code = p.code;
	p.code = NULL;
	redirect_params_clear(&p);
	*client = c->fd;
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
static enum verdict on_readable(struct conn *c, const char *state, int *client, char **code,
				int *rcp, struct oa2_err *err)
{
	ssize_t n = recv(c->fd, c->buf + c->len, REDIRECT_REQUEST_MAX - c->len, 0);
	enum verdict v = KEEP_WAITING;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return KEEP_WAITING;
	if (n <= 0) {
		drop(c);
		return KEEP_WAITING;
	}
	c->len += (size_t)n;
	if (header_end(c)) {
		v = handle(c, state, client, code, rcp, err); /* answers or hands c->fd on */
		drop(c);
	} else if (c->len >= REDIRECT_REQUEST_MAX) {
		reply_raw(c->fd, "431 Request Header Fields Too Large");
		c->fd = -1;
		drop(c);
	}
	return v;
}

static void on_accept(int lfd, struct conn *conns, long long now, long long end)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;
		if (fd < 0)
			return;
		for (int i = 0; i < REDIRECT_CONN_MAX && slot < 0; i++)
			if (conns[i].fd < 0)
				slot = i;
		if (slot < 0) { /* all busy: the oldest idle one goes */
			slot = 0;
			for (int i = 1; i < REDIRECT_CONN_MAX; i++)
				if (conns[i].deadline < conns[slot].deadline)
					slot = i;
			drop(&conns[slot]);
		}
		conns[slot].fd = fd;
		conns[slot].len = 0;
		conns[slot].deadline = now + REDIRECT_CONN_TIMEOUT * 1000LL;
		if (conns[slot].deadline > end)
			conns[slot].deadline = end;
	}
}

int redirect_wait(struct redirect_listener *l, const char *state, long timeout, int *client,
		  char **code, struct oa2_err *err)
{
	static struct conn conns[REDIRECT_CONN_MAX];
	struct pollfd pfd[REDIRECT_CONN_MAX + 1];
	long long end = now_ms() + timeout * 1000LL;
	enum verdict v = KEEP_WAITING;
	int map[REDIRECT_CONN_MAX + 1], rc = OA2_ERR_TEMPORARY;

	*client = -1;
	*code = NULL;
	for (int i = 0; i < REDIRECT_CONN_MAX; i++) {
		conns[i].fd = -1;
		conns[i].len = 0;
	}
	while (v == KEEP_WAITING) {
		long long now = now_ms(), wake = end;
		int n = 1;

		if (now >= end) {
			oa2_err_set(err, OA2_ERR_TEMPORARY, "no answer from the browser within %ld s "
				    "(nothing reached http://127.0.0.1:%d/): sign in sooner, or "
				    "give more time with --timeout; nothing was saved", timeout,
				    l->port);
			break;
		}
		pfd[0] = (struct pollfd){ .fd = l->fd, .events = POLLIN };
		for (int i = 0; i < REDIRECT_CONN_MAX; i++) {
			if (conns[i].fd < 0)
				continue;
			if (conns[i].deadline <= now) {
				drop(&conns[i]);
				continue;
			}
			if (conns[i].deadline < wake)
				wake = conns[i].deadline;
			pfd[n] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, (int)(wake - now)) < 0) {
			if (errno == EINTR)
				continue;
			rc = oa2_err_set(err, OA2_ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		for (int k = 1; k < n && v == KEEP_WAITING; k++)
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
				v = on_readable(&conns[map[k]], state, client, code, &rc, err);
		if (v == KEEP_WAITING && (pfd[0].revents & POLLIN))
			on_accept(l->fd, conns, now, end);
	}
	/* One answer only: whatever else is connected or queued is refused. */
	redirect_close(l);
	for (int i = 0; i < REDIRECT_CONN_MAX; i++)
		drop(&conns[i]);
	return v == DONE ? OA2_OK : rc;
}
