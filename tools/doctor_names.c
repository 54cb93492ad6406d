/* doctor: "no account 'alcie'; did you mean 'alice'?" */
#include <stdio.h>

#include "cmdutil.h"
#include "doctor.h"
#include "sasl-oauth2/suggest.h"

int doctor_near_account(const char *dir, const char *name, char *out, size_t n)
{
	const char *near;
	char **names;
	size_t count;

	if (cli_list_accounts_in(dir, &names, &count, NULL) != OA2_OK)
		return 0;
	near = oa2_suggest_nearest(name, (const char *const *)names, count);
	if (near != NULL)
		snprintf(out, n, "%s", near);
	cli_names_free(names, count);
	return near != NULL;
}
