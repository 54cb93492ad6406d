/* doctor: "no account 'alcie'; did you mean 'alice'?" */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"

#define NAME_MAX_CMP 64

/* Edits (insert, delete, change, swap two neighbours) from a to b. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[NAME_MAX_CMP + 1][NAME_MAX_CMP + 1];

	if (la > NAME_MAX_CMP || lb > NAME_MAX_CMP)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

int doctor_near_account(const char *dir, const char *name, char *out, size_t n)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	size_t best = strlen(name) < 4 ? 1 : 2; /* a short name allows one edit */
	int found = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name), dist;
		char cand[NAME_MAX_CMP + 1];

		if (e->d_name[0] == '.' || len <= 5 || len - 5 > NAME_MAX_CMP ||
		    strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(cand, sizeof(cand), "%.*s", (int)(len - 5), e->d_name);
		dist = distance(name, cand);
		if (dist <= best && dist > 0) {
			best = dist;
			snprintf(out, n, "%s", cand);
			found = 1;
		}
	}
	if (dp != NULL)
		closedir(dp);
	return found;
}
