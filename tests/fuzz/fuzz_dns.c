/* fuzz_dns.c - libFuzzer harness for the DNS reader (RFC 1035 §4.1 with
 * compression, RFC 6891 OPT) and the answer builders: any input parses
 * without reading outside it; a usable query's error and TXT answers parse
 * back with the same question. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX];
	char text[DNS_NAME_TEXT], tb[16];
	struct dns_msg q, r;
	size_t n, want;

	if (dns_parse(data, size, &q) != DNS_OK) {
		dns_err_name(q.err);
		return 0;
	}
	if (!q.has_question || q.qname_len < 1 || q.qname_len > DNS_NAME_MAX ||
	    q.question_end > size)
		abort();
	if (strlen(dns_name_text(q.qname, q.qname_len, text)) >= DNS_NAME_TEXT)
		abort();
	dns_type_name(q.qtype, tb);
	dns_rcode_name(dns_rcode(&q), tb);

	n = dns_build_error(&q, DNS_SERVFAIL, out, sizeof(out));
	if (!n || dns_parse(out, n, &r) != DNS_OK || !dns_same_question(&q, &r) || r.id != q.id)
		abort();
	/* An answer size from the input itself, in the --builtin range. */
	want = 256 + (size_t)(data[0] << 8 | data[1]) % (65000 - 256 + 1);
	n = dns_build_txt(&q, want, out, sizeof(out));
	if (!n || dns_parse(out, n, &r) != DNS_OK || !dns_same_question(&q, &r))
		abort();
	if (DNS_OPCODE(q.flags) == 0 && !(q.has_opt && q.opt_version) &&
	    n != (want > dns_txt_min_size(&q) ? want : dns_txt_min_size(&q)))
		abort();
	return 0;
}
