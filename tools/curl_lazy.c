/*
 * libcurl for the command line tool, loaded on first use.
 *
 * Most runs of sasl-oauth2 never make a request: `token` with a fresh token
 * reads one file and prints it, and mail programs run it before every
 * connection. Loading libcurl with the program costs more than that whole
 * job (libcurl brings some thirty libraries: ~4 ms of dynamic linking). So
 * the tool's HTTP transport (cli_http_transport) dlopens libcurl at its
 * first request and hands the functions it found to the library's libcurl
 * request code (lib/http_curl.c). Nothing in the tool names a libcurl
 * symbol, so the linker leaves libcurl out of its DT_NEEDED.
 *
 * The plugin does not do this: it renews inside Postfix's chroot, where
 * there is no library to load, and uses oa2_http_linked.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "sasl-oauth2/http_curl.h"
#include "cli.h"

#define LIBCURL_SONAME "libcurl.so.4"

struct lazy {
	int tried;
	int ok;
	char why[256];
	struct oa2_curl_fns fns;
};

/* dlsym returns an object pointer; POSIX guarantees it converts to a
 * function pointer. */
#define BIND(h, field, name) \
	((l->fns.field = (__typeof__(l->fns.field))dlsym((h), (name))) != NULL)

static void load(struct lazy *l)
{
	const char *e;
	void *h;

	l->tried = 1;
	h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		e = dlerror();
		snprintf(l->why, sizeof(l->why), "cannot load %s: %s", LIBCURL_SONAME,
			 e ? e : "unknown error");
		return;
	}
	if (!BIND(h, easy_init, "curl_easy_init") || !BIND(h, easy_setopt, "curl_easy_setopt") ||
	    !BIND(h, easy_perform, "curl_easy_perform") ||
	    !BIND(h, easy_getinfo, "curl_easy_getinfo") ||
	    !BIND(h, easy_cleanup, "curl_easy_cleanup") ||
	    !BIND(h, easy_strerror, "curl_easy_strerror") ||
	    !BIND(h, slist_append, "curl_slist_append") ||
	    !BIND(h, slist_free_all, "curl_slist_free_all")) {
		e = dlerror();
		snprintf(l->why, sizeof(l->why), "%s lacks a function: %s", LIBCURL_SONAME,
			 e ? e : "unknown error");
		return;
	}
	l->ok = 1;
}

static int lazy_request(const struct oa2_http_transport *t, const char *what, const char *url,
			const struct oa2_buf *form, const struct oa2_http_opts *o,
			struct oa2_http_response *resp, struct oa2_err *err)
{
	/* The tool is one thread; the loaded functions are kept for the run. */
	static struct lazy l;
	struct oa2_http_transport curl = { oa2_http_curl_request, &l.fns };

	(void)t;
	if (!l.tried)
		load(&l);
	if (!l.ok)
		return oa2_err_set(err, OA2_ERR_NET, "%s %s: %s (Debian package libcurl4)", what,
				   url, l.why);
	return oa2_http_curl_request(&curl, what, url, form, o, resp, err);
}

const struct oa2_http_transport cli_http_transport = { lazy_request, NULL };
