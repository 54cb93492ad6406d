/* doctor's verdict lines: one per check, and the fix under each problem. */
#include <stdarg.h>
#include <stdio.h>

#include "doctor.h"

void report(struct doctor *d, enum verdict v, const char *fix, const char *fmt, ...)
{
	static const char *const tag[] = { "OK  ", "WARN", "FAIL" };
	va_list ap;

	printf("%s ", tag[v]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (v != OK && fix != NULL)
		printf("     fix: %s\n", fix);
	d->fails += v == FAIL;
	d->warns += v == WARN;
}
