#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/suggest.h"

#define SUGGEST_MAX 64 /* longer words are never compared */

/* Optimal string alignment distance, case folded. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *oa2_suggest_nearest(const char *word, const char *const *cand, size_t n)
{
	size_t limit = strlen(word) < 5 ? 1 : 2, best = limit + 1;
	const char *found = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t dist;

		if (cand[i] == NULL || strcmp(cand[i], word) == 0)
			continue;
		dist = distance(word, cand[i]);
		if (dist < best) {
			best = dist;
			found = cand[i];
		}
	}
	return found;
}

void oa2_suggest_phrase(const char *word, const char *const *cand, size_t n, char *buf, size_t len)
{
	const char *near = oa2_suggest_nearest(word, cand, n);

	if (near != NULL)
		snprintf(buf, len, " (did you mean \"%s\"?)", near);
	else if (len > 0)
		buf[0] = '\0';
}
