/* test_ehfront.c - the front ends' RFC 7112 plan checks (core/ehfront). */
#include "t.h"

#include "eh.h"
#include "ehfront.h"

static void chain(struct eh_chain *ch, const char *a, const char *b)
{
	char err[EH_ERRLEN];

	eh_chain_init(ch);
	if (a)
		CHECK(eh_parse(ch, a, err));
	if (b)
		CHECK(eh_parse(ch, b, err));
	CHECK(eh_finish(ch, false, err));
}

static void test_first_fits(void)
{
	struct eh_chain ch;
	char err[EHF_ERRLEN];

	chain(&ch, NULL, NULL);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "--frag-size 512", err), 0);
	CHECK_EQ(ehf_first_room(&ch, 512), 464);
	/* dst travels in the first fragment: 40 + 8 + 456 + 8 = 512 exactly fits */
	chain(&ch, "dst:456", NULL);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "x", err), 0);
	chain(&ch, "dst:464", NULL);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "--frag-size 512", err), 1);
	CHECK(strstr(err, "RFC 7112") && strstr(err, "520 octets") && strstr(err, "464 data octets"));
	/* hbh repeats: it shrinks the room of every fragment */
	chain(&ch, "hbh:456", NULL);
	CHECK_EQ(ehf_first_room(&ch, 512), 8);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "x", err), 0);
	chain(&ch, "hbh:464", NULL);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "x", err), -1);
	CHECK(strstr(err, "leaves no data"));
	/* a dstu is unfragmentable too; order does not matter to the sizes */
	chain(&ch, "dst:16", "dstu:448");
	CHECK_EQ(ch.unfrag_total, 448);
	CHECK_EQ(ehf_first_fits(&ch, 512, 8, "x", err), 1);
	/* odd upper-layer header: rounded to whole 8-octet units */
	chain(&ch, "dst:8", NULL);
	CHECK_EQ(ehf_first_fits(&ch, 40 + 8 + 8 + 64, 60, "x", err), 0);
	CHECK_EQ(ehf_first_fits(&ch, 40 + 8 + 8 + 56, 60, "x", err), 1);
}

static void test_tcp_fits(void)
{
	struct eh_chain ch;
	char err[EHF_ERRLEN];

	chain(&ch, "dst:8", NULL);
	CHECK_EQ(ehf_tcp_fits(&ch, 1500, 256, false, "f0", err), 0);
	CHECK_EQ(ehf_tcp_fits(&ch, 1500, 256, true, "f0", err), 0);
	chain(&ch, "dst:1440", NULL);
	CHECK_EQ(ehf_tcp_fits(&ch, 1500, 256, false, "f0", err), 1);
	CHECK(strstr(err, "MTU 1500 of f0"));
	CHECK_EQ(ehf_tcp_fits(&ch, 1500, 256, true, "f0", err), -1);
	/* the trailing fragment repeats the unfragmentable part */
	chain(&ch, "hbh:1200", NULL);
	CHECK_EQ(ehf_tcp_fits(&ch, 1500, 256, false, "f0", err), -1);
	CHECK(strstr(err, "--tail 256"));
}

int main(void)
{
	RUN(test_first_fits);
	RUN(test_tcp_fits);
	return t_done();
}
