#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sasl-oauth2/token_cache.h"
#include "sasl-oauth2/token_store.h"

/* A mail client authenticates with a handful of accounts at most; a small
 * table with round-robin eviction is enough and keeps lookups trivial. */
#define CACHE_SLOTS 16

struct slot {
	char *path;          /* NULL when the slot is empty */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
	struct oa2_token tok;
};

struct oa2_token_cache {
	pthread_mutex_t lock;
	struct slot slots[CACHE_SLOTS];
	unsigned next_evict;
};

struct oa2_token_cache *oa2_token_cache_new(void)
{
	struct oa2_token_cache *c = calloc(1, sizeof(*c));

	if (c != NULL && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void slot_clear(struct slot *s)
{
	free(s->path);
	oa2_token_clear(&s->tok);
	memset(s, 0, sizeof(*s));
}

void oa2_token_cache_free(struct oa2_token_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int same_file(const struct slot *s, const struct stat *st)
{
	return s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
	       s->mtime.tv_sec == st->st_mtim.tv_sec &&
	       s->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       s->ctime.tv_sec == st->st_ctim.tv_sec &&
	       s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static struct slot *find(struct oa2_token_cache *c, const char *path)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].path != NULL && strcmp(c->slots[i].path, path) == 0)
			return &c->slots[i];
	return NULL;
}

static struct slot *take_slot(struct oa2_token_cache *c)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].path == NULL)
			return &c->slots[i];
	struct slot *s = &c->slots[c->next_evict++ % CACHE_SLOTS];
	slot_clear(s);
	return s;
}

int oa2_token_cache_get(struct oa2_token_cache *c, const char *path,
			struct oa2_token *tok, struct oa2_err *err)
{
	struct stat st;
	struct slot *s;
	struct oa2_token fresh;
	int rc;

	pthread_mutex_lock(&c->lock);
	s = find(c, path);
	if (s != NULL && stat(path, &st) == 0 && same_file(s, &st)) {
		rc = oa2_token_copy(tok, &s->tok);
		pthread_mutex_unlock(&c->lock);
		if (rc != OA2_OK)
			return oa2_err_set(err, rc, "token file %s: out of memory", path);
		return OA2_OK;
	}
	/* Changed, new or gone: read it afresh. A failed read drops the stale
	 * entry, so an error is reported every time until the file is fixed. */
	if (s != NULL)
		slot_clear(s);
	rc = oa2_store_load(path, &fresh, &st, err);
	if (rc != OA2_OK) {
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	rc = oa2_token_copy(tok, &fresh);
	if (rc != OA2_OK) {
		oa2_token_clear(&fresh);
		pthread_mutex_unlock(&c->lock);
		return oa2_err_set(err, rc, "token file %s: out of memory", path);
	}
	s = take_slot(c);
	s->path = strdup(path);
	if (s->path == NULL) {
		oa2_token_clear(&fresh); /* caching is an optimisation: skip it */
	} else {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
		s->mtime = st.st_mtim;
		s->ctime = st.st_ctim;
		s->tok = fresh;
	}
	pthread_mutex_unlock(&c->lock);
	return OA2_OK;
}
