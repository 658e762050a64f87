/* test_emitlog.c - core/emit's --log sink: every JSON line also appended to
 * the file; after em_log_reopen_request() (the SIGHUP handler's call) the
 * file is reopened by name before the next line, as log rotation needs; a
 * reopen that fails keeps the old file. */
#include "emit.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/v6kit-emitlog.XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void line(const char *type, unsigned long long n)
{
	em_begin(type);
	em_u64(EM_ANY, "n", "%llu", n);
	em_end();
}

static void test_log_rotate_reopen(void)
{
	char path[128], rotated[128], gone[128], moved[128], *s;
	FILE *null = fopen("/dev/null", "w");

	snprintf(path, sizeof(path), "%s/a.json", dir);
	snprintf(rotated, sizeof(rotated), "%s/a.json.1", dir);
	em_init(true, null);
	em_log_open(path);
	line("one", 1);
	s = slurp(path);
	CHECKF(s && !strcmp(s, "{\"type\":\"one\",\"n\":1}\n"), "'%s'", s ? s : "(none)");

	/* logrotate: rename, then SIGHUP. */
	CHECK(rename(path, rotated) == 0);
	line("two", 2);				/* no request yet: the old file */
	em_log_reopen_request();
	line("three", 3);
	s = slurp(rotated);
	CHECKF(s && !strcmp(s, "{\"type\":\"one\",\"n\":1}\n{\"type\":\"two\",\"n\":2}\n"), "'%s'", s ? s : "(none)");
	s = slurp(path);
	CHECKF(s && !strcmp(s, "{\"type\":\"three\",\"n\":3}\n"), "'%s'", s ? s : "(none)");

	/* A reopen that cannot open the name keeps writing the open file. */
	snprintf(gone, sizeof(gone), "%s/sub", dir);
	CHECK(mkdir(gone, 0700) == 0);
	snprintf(moved, sizeof(moved), "%s/sub/b.json", dir);
	em_log_open(moved);	/* (a second open replaces the sink, for this test) */
	line("four", 4);
	snprintf(gone, sizeof(gone), "%s/sub2", dir);
	snprintf(rotated, sizeof(rotated), "%s/sub", dir);
	CHECK(rename(rotated, gone) == 0);	/* the directory is gone */
	em_log_reopen_request();
	line("five", 5);			/* warning on stderr, old file kept */
	snprintf(moved, sizeof(moved), "%s/sub2/b.json", dir);
	s = slurp(moved);
	CHECKF(s && !strcmp(s, "{\"type\":\"four\",\"n\":4}\n{\"type\":\"five\",\"n\":5}\n"), "'%s'", s ? s : "(none)");
	fclose(null);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(dir))
		return 2;
	RUN(test_log_rotate_reopen);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
