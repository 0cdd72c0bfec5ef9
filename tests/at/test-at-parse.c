/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The AT backend's line parsing, without a modem. */

#include <string.h>

#include "esim-at-parse.h"
#include "esim-error.h"
#include "esim-util.h"

static void
test_take_line (void)
{
	g_autoptr(GString) buffer = g_string_new ("\r\nOK\r\n\r\n+CGLA: 4,\"9000\"\r\n+CSI");
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	g_autofree gchar *third = NULL;
	g_autofree gchar *fourth = NULL;

	g_assert_true (esim_at_buffer_take_line (buffer, &first));
	g_assert_cmpstr (first, ==, "OK");
	g_assert_true (esim_at_buffer_take_line (buffer, &second));
	g_assert_cmpstr (second, ==, "+CGLA: 4,\"9000\"");
	/* the partial line waits for the rest */
	g_assert_false (esim_at_buffer_take_line (buffer, &third));
	g_assert_cmpstr (buffer->str, ==, "+CSI");
	g_string_append (buffer, "M: 4,\"6A82\"\r");
	g_assert_true (esim_at_buffer_take_line (buffer, &third));
	g_assert_cmpstr (third, ==, "+CSIM: 4,\"6A82\"");
	g_assert_cmpuint (buffer->len, ==, 0);
	g_assert_false (esim_at_buffer_take_line (buffer, &fourth));
	g_assert_null (fourth);
}

static void
test_final_results (void)
{
	const struct {
		const gchar *line;
		gboolean     final;
		gboolean     ok;
	} cases[] = {
		{ "OK", TRUE, TRUE },
		{ "ERROR", TRUE, FALSE },
		{ "+CME ERROR: 21", TRUE, FALSE },
		{ "+CMS ERROR: 500", TRUE, FALSE },
		{ "COMMAND NOT SUPPORT", TRUE, FALSE },
		{ "OKAY", FALSE, FALSE },
		{ "+CGLA: 4,\"9000\"", FALSE, FALSE },
		{ "RING", FALSE, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gboolean ok = !cases[i].ok;

		g_assert_cmpint (esim_at_line_is_final_result (cases[i].line, &ok), ==, cases[i].final);
		g_assert_cmpint (ok, ==, cases[i].ok);
	}
	g_assert_true (esim_at_line_is_digits ("12"));
	g_assert_false (esim_at_line_is_digits (""));
	g_assert_false (esim_at_line_is_digits ("1 2"));
}

static void
test_apdu_answer (void)
{
	const struct {
		const gchar *line;
		const gchar *apdu; /* NULL: malformed */
	} cases[] = {
		{ "+CGLA: 8,\"BF2E9000\"", "BF2E9000" },
		{ "+CGLA:4, 9000 ", "9000" },      /* unquoted, spaces */
		{ "+CGLA: 99,\"9000\"", "9000" },  /* a wrong length is only logged */
		{ "+CGLA: 4", NULL },               /* no data */
		{ "+CGLA: x,\"9000\"", NULL },      /* bad length */
		{ "+CGLA: 4,\"9000", NULL },        /* unterminated */
		{ "+CGLA: 4,\"\"", NULL },          /* empty */
		{ "+CGLA: 2,\"90\"", NULL },        /* shorter than SW1 SW2 */
		{ "+CGLA: 4,\"90Z0\"", NULL },      /* not hex */
		{ "+CGLA: 3,\"900\"", NULL },       /* odd digits */
		{ "+CSIM: 4,\"9000\"", NULL },      /* another command's answer */
		{ "+CG", NULL },                    /* shorter than the prefix */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) apdu = esim_at_parse_apdu_answer (cases[i].line, "+CGLA:", &error);
		g_autofree gchar *got = NULL;

		if (cases[i].apdu == NULL) {
			g_assert_null (apdu);
			g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
			continue;
		}
		g_assert_no_error (error);
		got = esim_hex_encode_bytes (apdu);
		g_assert_cmpstr (got, ==, cases[i].apdu);
	}
}

static void
test_session_id (void)
{
	g_autoptr(GError) error = NULL;
	guint id = 0;

	g_assert_true (esim_at_parse_session_id ("+CCHO: 3", &id, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (id, ==, 3);
	g_assert_true (esim_at_parse_session_id ("17", &id, &error));
	g_assert_cmpuint (id, ==, 17);
	g_assert_false (esim_at_parse_session_id ("+CCHO: one", &id, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	/* any integer the MT chooses: 0 and 257 are session ids too */
	g_assert_true (esim_at_parse_session_id ("+CCHO: 257", &id, &error));
	g_assert_cmpuint (id, ==, 257);
	g_assert_true (esim_at_parse_session_id ("0", &id, &error));
	g_assert_cmpuint (id, ==, 0);
	g_assert_false (esim_at_parse_session_id ("99999999999", &id, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
}

static void
test_cme_error (void)
{
	const struct {
		const gchar *line;
		gboolean     parsed;
		guint        code;
	} cases[] = {
		{ "+CME ERROR: 20", TRUE, ESIM_AT_CME_MEMORY_FULL },
		{ "+CME ERROR:21", TRUE, ESIM_AT_CME_INVALID_INDEX },
		{ "+CME ERROR: 4294967295", TRUE, G_MAXUINT32 },
		{ "+CME ERROR: memory full", TRUE, ESIM_AT_CME_MEMORY_FULL },  /* +CMEE=2 */
		{ "+CME ERROR: Operation not allowed", TRUE, ESIM_AT_CME_OPERATION_NOT_ALLOWED },
		{ "+CME ERROR: the modem is sad", FALSE, 0 },
		{ "+CME ERROR: 4294967296", FALSE, 0 },
		{ "+CME ERROR: -1", FALSE, 0 },
		{ "+CME ERROR:", FALSE, 0 },
		{ "ERROR", FALSE, 0 },                  /* +CMEE=0: no cause */
		{ "+CMS ERROR: 500", FALSE, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		guint code = 12345;

		g_assert_cmpint (esim_at_parse_cme_error (cases[i].line, &code), ==, cases[i].parsed);
		if (cases[i].parsed)
			g_assert_cmpuint (code, ==, cases[i].code);
	}
}

/* The CLA's channel bits, ISO/IEC 7816-4 §5.4.1 / ETSI TS 102 221 §10.1.1. */
static void
test_cla_channel (void)
{
	const struct {
		guint8   cla;
		guint    channel;
		gboolean coded;
		guint8   recoded;
	} cases[] = {
		{ 0x81, 0, TRUE, 0x80 },   /* GlobalPlatform STORE DATA on 1 -> basic */
		{ 0x80, 2, TRUE, 0x82 },
		{ 0x81, 4, TRUE, 0xC0 },   /* first -> further coding */
		{ 0x83, 19, TRUE, 0xCF },
		{ 0xCF, 1, TRUE, 0x81 },   /* further -> first coding */
		{ 0xC3, 9, TRUE, 0xC5 },
		{ 0x01, 0, TRUE, 0x00 },   /* interindustry (GET RESPONSE) */
		{ 0x40, 3, TRUE, 0x03 },
		{ 0x02, 5, TRUE, 0x41 },
		{ 0x11, 2, TRUE, 0x12 },   /* command chaining kept */
		{ 0x51, 1, TRUE, 0x11 },
		{ 0x0D, 6, TRUE, 0x62 },   /* secure messaging: b4-b3 <-> b6 */
		{ 0x60, 0, TRUE, 0x08 },
		{ 0xE0, 2, TRUE, 0x8A },
		{ 0xA0, 1, FALSE, 0xA0 },  /* GSM class: no channel bits */
		{ 0x20, 1, FALSE, 0x20 },  /* RFU */
		{ 0xFF, 1, FALSE, 0xFF },
		{ 0xF0, 19, FALSE, 0xF0 }, /* would be FF */
		{ 0x9C, 19, FALSE, 0x9C },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		guint8 recoded = 0x55;

		g_assert_cmpint (esim_at_cla_set_channel (cases[i].cla, cases[i].channel, &recoded), ==,
		                 cases[i].coded);
		g_assert_cmphex (recoded, ==, cases[i].recoded);
	}
}

/* APDU and AID data stay out of the log unless personal info is on. */
static void
test_log_masking (void)
{
	const gchar *command = "AT+CGLA=1,16,\"81E2910006BF3E035C015A\"";
	g_autofree gchar *name = esim_at_command_name (command);
	g_autofree gchar *masked = NULL;
	g_autofree gchar *urc = NULL;
	g_autofree gchar *data_line = NULL;
	g_autofree gchar *shown = NULL;
	g_autofree gchar *shown_line = NULL;

	g_assert_cmpstr (name, ==, "AT+CGLA");
	esim_log_set_personal_info (FALSE);
	masked = esim_at_text_for_log (command);
	g_assert_null (strstr (masked, "BF3E"));
	g_assert_true (g_str_has_prefix (masked, "AT+CGLA=1,16,"));
	urc = esim_at_unexpected_line_for_log ("+CIEV: 1,0");
	g_assert_cmpstr (urc, ==, "+CIEV");
	/* a bare line may be an APDU answer without its prefix */
	data_line = esim_at_unexpected_line_for_log ("BF3E125A10890490320000000000002799");
	g_assert_null (strstr (data_line, "BF3E"));
	g_assert_null (strstr (data_line, "8904"));

	esim_log_set_personal_info (TRUE);
	shown = esim_at_text_for_log (command);
	g_assert_cmpstr (shown, ==, command);
	shown_line = esim_at_unexpected_line_for_log ("BF3E12");
	g_assert_nonnull (strstr (shown_line, "BF3E12"));
	esim_log_set_personal_info (FALSE);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/at-parse/take-line", test_take_line);
	g_test_add_func ("/esim/at-parse/final-results", test_final_results);
	g_test_add_func ("/esim/at-parse/apdu-answer", test_apdu_answer);
	g_test_add_func ("/esim/at-parse/session-id", test_session_id);
	g_test_add_func ("/esim/at-parse/cme-error", test_cme_error);
	g_test_add_func ("/esim/at-parse/cla-channel", test_cla_channel);
	g_test_add_func ("/esim/at-parse/log-masking", test_log_masking);
	return g_test_run ();
}
