/*
 * libcurl for the command line tool, loaded on first use.
 *
 * Most runs of sasl-oauth2 never make a request: `token` with a fresh token
 * reads one file and prints it, and mail programs run it before every
 * connection. Loading libcurl with the program costs more than that whole
 * job (libcurl brings some thirty libraries: ~4 ms of dynamic linking). So
 * the tool defines the few libcurl functions lib/http.c calls; the first
 * call dlopens libcurl and each forwards to the real one. With these
 * definitions in the executable the linker (--as-needed, the Debian
 * default) leaves libcurl out of its DT_NEEDED entirely.
 *
 * Only the tool does this. The plugin links libcurl normally: it refreshes
 * inside Postfix's chroot, where there is no library to dlopen.
 */
#define CURL_DISABLE_TYPECHECK 1 /* curl.h's checking macros shadow our definitions */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

#include <curl/curl.h>

#define LIBCURL_SONAME "libcurl.so.4"

static struct {
	int tried;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} real;

/* dlsym returns an object pointer; POSIX guarantees it converts to a
 * function pointer. */
#define BIND(h, field, name) \
	((real.field = (__typeof__(real.field))dlsym((h), (name))) != NULL)

/* Returns 0 once every function is bound; says why on stderr (once) when
 * libcurl cannot be loaded, and the caller fails like libcurl would. */
static int load(void)
{
	void *h;

	if (real.tried)
		return real.easy_init != NULL ? 0 : -1;
	real.tried = 1;
	h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "sasl-oauth2: cannot load %s: %s\n", LIBCURL_SONAME, dlerror());
		return -1;
	}
	if (!BIND(h, easy_setopt, "curl_easy_setopt") ||
	    !BIND(h, easy_perform, "curl_easy_perform") ||
	    !BIND(h, easy_getinfo, "curl_easy_getinfo") ||
	    !BIND(h, easy_cleanup, "curl_easy_cleanup") ||
	    !BIND(h, easy_strerror, "curl_easy_strerror") ||
	    !BIND(h, slist_append, "curl_slist_append") ||
	    !BIND(h, slist_free_all, "curl_slist_free_all") ||
	    !BIND(h, easy_init, "curl_easy_init")) {
		fprintf(stderr, "sasl-oauth2: %s lacks a function: %s\n", LIBCURL_SONAME,
			dlerror());
		real.easy_init = NULL; /* marks the load as failed */
		return -1;
	}
	return 0;
}

CURL *curl_easy_init(void)
{
	return load() == 0 ? real.easy_init() : NULL;
}

/* The option number says the argument's type (curl.h's CURLOPTTYPE_*
 * bases); forward it as that type. */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (load() != 0)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real.easy_setopt(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real.easy_setopt(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = real.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else
		rc = real.easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *c)
{
	return load() == 0 ? real.easy_perform(c) : CURLE_FAILED_INIT;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (load() != 0)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = real.easy_getinfo(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

void curl_easy_cleanup(CURL *c)
{
	if (c != NULL && load() == 0)
		real.easy_cleanup(c);
}

const char *curl_easy_strerror(CURLcode cc)
{
	return load() == 0 ? real.easy_strerror(cc) : "libcurl could not be loaded";
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return load() == 0 ? real.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && load() == 0)
		real.slist_free_all(l);
}
