#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "cli.h"
#include "watch.h"
#include "sasl-oauth2/token_store.h"

enum watch_due watch_due(const struct watch_times *t, long long *wait)
{
	long long at = -1, keep;

	*wait = -1;
	if (t->rejected_at != 0)
		return DUE_REJECTED;
	if (t->expires_at != 0) {
		at = t->expires_at - t->margin - t->jitter;
		if (at <= t->now)
			return DUE_EXPIRY;
	}
	if (t->keepalive > 0) {
		keep = t->refreshed_at + t->keepalive;
		if (keep <= t->now)
			return DUE_KEEPALIVE;
		if (at < 0 || keep < at)
			at = keep;
	}
	if (at >= 0)
		*wait = at - t->now;
	return DUE_NOT;
}

long watch_jitter(long long remaining)
{
	long long cap = remaining / 10;
	uint32_t r;

	if (cap > 60)
		cap = 60;
	if (cap <= 0)
		return 0;
	while (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		if (errno != EINTR) {
			r = (uint32_t)time(NULL); /* jitter only spreads load */
			break;
		}
	}
	return (long)(r % (uint32_t)(cap + 1));
}

long watch_backoff(long prev, long retry_min, long retry_max)
{
	long next;

	if (prev <= 0)
		next = retry_min;
	else
		next = prev > retry_max / 2 ? retry_max : prev * 2;
	return next < retry_max ? next : retry_max;
}

long watch_clamp_to_expiry(long delay, long long now, long long expires_at)
{
	long long left = expires_at - now;

	if (expires_at == 0 || left <= 1 || now + delay < expires_at - 5)
		return delay;
	/* One more try a few seconds before expiry. */
	left = left > 10 ? left - 5 : left / 2;
	return left < 1 ? 1 : (long)left;
}

long watch_store_margin(enum watch_due why, const struct watch_times *t)
{
	long long m;

	switch (why) {
	case DUE_EXPIRY:
		return t->margin + t->jitter;
	case DUE_KEEPALIVE:
		/* "Refresh unless someone made it newer than what we saw." */
		if (t->expires_at == 0)
			return OA2_MARGIN_FORCE;
		m = t->expires_at - t->now + 1;
		if (m < t->margin)
			m = t->margin;
		return m >= OA2_MARGIN_FORCE ? OA2_MARGIN_FORCE - 1 : (long)m;
	default:
		return OA2_MARGIN_DEFAULT; /* the file's rejected_at decides */
	}
}

/* How bad a result is: success, retry later, needs the user, broken. */
static int severity(int code)
{
	switch (code) {
	case CLI_OK: return 0;
	case CLI_TEMPFAIL: return 1;
	case CLI_UNAVAILABLE: return 2;
	default: return 3;
	}
}

int watch_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}

int64_t watch_boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts); /* the timer's clock: cmd_watch.c */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
