/*
 * The tunnel after sign-in: every byte both ways, unchanged, with no line
 * limit. One poll loop over the client's stdin and stdout and the server's
 * socket, all non-blocking; TLS reads and writes may each need the socket
 * readable or writable (SSL_ERROR_WANT_READ/WANT_WRITE), and bytes OpenSSL
 * has already decrypted (SSL_pending) are taken before polling again, since
 * the socket will not signal them. Each direction buffers at most
 * RELAY_BUF bytes: when the reader is slow, the writer waits (flow
 * control), nothing piles up.
 *
 * Ends: after the client's end of input, what the server still answers
 * (to a LOGOUT sent just before, say) is passed on until the server
 * closes or has been silent for GRACE_MS, and then the server gets TLS
 * close_notify (sent at once, it would make a server drop commands it has
 * not read yet); the server's end (or a broken connection) ends the tunnel
 * once the bytes already read have reached the client. A client that
 * stops reading ends it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "tunnel.h"

#define RELAY_BUF (64 * 1024)
#define GRACE_MS 2000

struct half {
	char data[RELAY_BUF];
	size_t start, end;  /* bytes [start, end) wait to be written */
};

static void half_put(struct half *h, const char *p, size_t n)
{
	memcpy(h->data, p, n);
	h->start = 0;
	h->end = n;
}

/* Room at the end, moving what waits to the front when needed. */
static size_t half_room(struct half *h)
{
	if (h->start == h->end)
		h->start = h->end = 0;
	if (h->end == sizeof(h->data) && h->start > 0) {
		memmove(h->data, h->data + h->start, h->end - h->start);
		h->end -= h->start;
		h->start = 0;
	}
	return sizeof(h->data) - h->end;
}

struct relay {
	SSL *ssl;
	int sfd, in, out;
	struct half up, down;   /* client -> server, server -> client */
	int client_eof, server_eof, broken;
	short read_wants, write_wants;  /* poll events TLS is waiting for */
};

static short want_of(int e)
{
	return e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
}

/* Server to buffer. Returns 1 when bytes moved or the state changed. */
static int from_server(struct relay *r)
{
	size_t room = half_room(&r->down);
	int n, e;

	r->read_wants = 0;
	if (r->server_eof || room == 0)
		return 0;
	ERR_clear_error();
	n = SSL_read(r->ssl, r->down.data + r->down.end, (int)room);
	if (n > 0) {
		r->down.end += (size_t)n;
		return 1;
	}
	e = SSL_get_error(r->ssl, n);
	r->read_wants = want_of(e);
	if (r->read_wants != 0)
		return 0;
	/* close_notify, a plain end, or a broken connection: the end */
	r->server_eof = 1;
	if (e != SSL_ERROR_ZERO_RETURN && !(e == SSL_ERROR_SYSCALL && errno == 0))
		r->broken = 1;
	ERR_clear_error();
	return 1;
}

/* Buffer to client. */
static int to_client(struct relay *r)
{
	ssize_t n;

	if (r->down.start == r->down.end)
		return 0;
	n = write(r->out, r->down.data + r->down.start, r->down.end - r->down.start);
	if (n > 0) {
		r->down.start += (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	/* the client stopped reading: it is gone */
	r->client_eof = r->server_eof = 1;
	r->down.start = r->down.end = r->up.start = r->up.end = 0;
	return 1;
}

/* Client to buffer. */
static int from_client(struct relay *r)
{
	size_t room = half_room(&r->up);
	ssize_t n;

	if (r->client_eof || room == 0)
		return 0;
	n = read(r->in, r->up.data + r->up.end, room);
	if (n > 0) {
		r->up.end += (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	r->client_eof = 1;
	return 1;
}

/* Buffer to server. */
static int to_server(struct relay *r)
{
	int n, e;

	r->write_wants = 0;
	if (r->up.start == r->up.end || r->server_eof)
		return 0;
	ERR_clear_error();
	n = SSL_write(r->ssl, r->up.data + r->up.start, (int)(r->up.end - r->up.start));
	if (n > 0) {
		r->up.start += (size_t)n;
		return 1;
	}
	e = SSL_get_error(r->ssl, n);
	r->write_wants = want_of(e);
	if (r->write_wants != 0)
		return 0;
	r->server_eof = r->broken = 1;
	r->up.start = r->up.end = 0;
	ERR_clear_error();
	return 1;
}

static int wait_events(struct relay *r)
{
	struct pollfd p[3];
	int n = 0, timeout = -1, rc;

	if (!r->client_eof && half_room(&r->up) > 0)
		p[n++] = (struct pollfd){ .fd = r->in, .events = POLLIN };
	if (r->down.start != r->down.end)
		p[n++] = (struct pollfd){ .fd = r->out, .events = POLLOUT };
	if (r->read_wants | r->write_wants)
		p[n++] = (struct pollfd){ .fd = r->sfd, .events = r->read_wants | r->write_wants };
	if (r->client_eof && r->up.start == r->up.end)
		timeout = GRACE_MS; /* what the server still says, within reason */
	do
		rc = poll(p, (nfds_t)n, timeout);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static void set_nonblock(int fd, int *saved)
{
	*saved = fcntl(fd, F_GETFL);
	if (*saved >= 0)
		(void)fcntl(fd, F_SETFL, *saved | O_NONBLOCK);
}

int tun_relay(struct mailconn *srv, struct tun_client *cl)
{
	static struct relay r; /* 128 KB of buffers: not on the stack */
	int in_fl, out_fl;

	memset(&r, 0, sizeof(r));
	r.ssl = srv->ssl;
	r.sfd = srv->fd;
	r.in = cl->in;
	r.out = cl->out;
	/* what either side sent along with its last line before sign-in */
	half_put(&r.up, cl->buf, cl->len);
	half_put(&r.down, srv->buf, srv->len);
	cl->len = srv->len = 0;
	SSL_set_mode(r.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* servers often close after LOGOUT/QUIT without close_notify: an end */
	SSL_set_options(r.ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	set_nonblock(r.in, &in_fl);
	set_nonblock(r.out, &out_fl);
	for (;;) {
		int moved = 0;

		moved |= from_server(&r);
		moved |= to_client(&r);
		moved |= from_client(&r);
		moved |= to_server(&r);
		if (r.server_eof && r.down.start == r.down.end)
			break;
		if (!moved && wait_events(&r) == 0)
			break; /* the grace after the client's end ran out */
	}
	if (!r.server_eof) {
		(void)SSL_shutdown(r.ssl); /* close_notify; its answer is not awaited */
		ERR_clear_error();
	}
	if (in_fl >= 0)
		(void)fcntl(r.in, F_SETFL, in_fl);
	if (out_fl >= 0)
		(void)fcntl(r.out, F_SETFL, out_fl);
	if (r.broken && !r.client_eof)
		cli_error("tunnel: the connection to the mail server broke");
	return r.broken && !r.client_eof ? CLI_TEMPFAIL : CLI_OK;
}
