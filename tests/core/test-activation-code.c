/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Activation codes (SGP.22 §4.1).  The valid examples are SGP.22's own
 * ("1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1") and the
 * variants onomondo-ipa's tests/activation_code exercise (empty OID before
 * the flag, empty matching ID, the "LPA:" QR prefix).
 */

#include <gio/gio.h>
#include <string.h>

#include "esim-activation-code.h"

typedef struct {
	const gchar *text;
	const gchar *host;
	guint16      port;
	const gchar *matching_id;
	const gchar *oid;            /* NULL: none */
	gboolean     cc_required;
} ValidCase;

static const ValidCase valid_cases[] = {
	{ "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815", "smdp.example.com", 0,
	  "04386-AGYFT-A74Y8-3F815", NULL, FALSE },
	{ "LPA:1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815", "smdp.example.com", 0,
	  "04386-AGYFT-A74Y8-3F815", NULL, FALSE },
	{ "lpa:1$smdp.example.com$X", "smdp.example.com", 0, "X", NULL, FALSE },
	{ "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1", "smdp.example.com", 0,
	  "04386-AGYFT-A74Y8-3F815", "1.3.6.1.4.1.31746", TRUE },
	{ "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$$1", "smdp.example.com", 0,
	  "04386-AGYFT-A74Y8-3F815", NULL, TRUE },
	{ "1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746", "smdp.example.com", 0,
	  "04386-AGYFT-A74Y8-3F815", "1.3.6.1.4.1.31746", FALSE },
	{ "1$SMDP.EXAMPLE.COM$$1.3.6.1.4.1.31746", "smdp.example.com", 0, "",
	  "1.3.6.1.4.1.31746", FALSE },
	{ "1$SMDP.EXAMPLE.NET$KL14XA-8C7RLY$1.3.6.1.4.1.3174$0", "smdp.example.net", 0,
	  "KL14XA-8C7RLY", "1.3.6.1.4.1.3174", FALSE },
	{ "1$testsmdpplus1.example.com:8443$TS48V2-SAIP2-1-BERTLV-UNIQUE", "testsmdpplus1.example.com",
	  8443, "TS48V2-SAIP2-1-BERTLV-UNIQUE", NULL, FALSE },
	{ "1$127.0.0.1:44321$abc", "127.0.0.1", 44321, "abc", NULL, FALSE },
	{ "1$[::1]:8443$abc", "::1", 8443, "abc", NULL, FALSE },
	{ "  LPA:1$smdp.example.com$A-1\n", "smdp.example.com", 0, "A-1", NULL, FALSE },
};

static void
test_activation_code_valid (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (valid_cases); i++) {
		const ValidCase *c = &valid_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(EsimActivationCode) code = esim_activation_code_parse (c->text, &error);

		g_test_message ("%s", c->text);
		g_assert_no_error (error);
		g_assert_nonnull (code);
		g_assert_cmpstr (code->host, ==, c->host);
		g_assert_cmpuint (code->port, ==, c->port);
		g_assert_cmpstr (code->matching_id, ==, c->matching_id);
		g_assert_cmpstr (code->smdp_oid, ==, c->oid);
		g_assert_cmpint (code->confirmation_code_required, ==, c->cc_required);
		g_assert_nonnull (code->smdp_address);
		g_assert_true (g_str_has_prefix (code->smdp_address, "") && *code->smdp_address != '\0');
	}
}

typedef struct {
	const gchar *text;
	EsimActivationCodeError code;
	const gchar *message_part;   /* the message names the field */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
	{ "", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "format" },
	{ "xyz14390lojij", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "format" },
	{ "2$smdp.example.com$X", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "format" },
	{ "LPA:", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "format" },
	{ "1", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$", ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID, "matching ID" },
	{ "1$SMDP.EXAMPLE.COM", ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID, "matching ID" },
	{ "1$$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "LPA:1$$$$$$$$$$$$$$$$$$$", ESIM_ACTIVATION_CODE_ERROR_EXTRA_FIELDS, "fields" },
	{ "1$SMDP.EXAMPLE.COM$$$$$$$$$$$$$$$$$$$$$$$$$$", ESIM_ACTIVATION_CODE_ERROR_EXTRA_FIELDS,
	  "fields" },
	{ "1$smdp example.com$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$-smdp.example.com$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$smdp..example.com$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$smdp.example.com:$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "port" },
	{ "1$smdp.example.com:0$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "port" },
	{ "1$smdp.example.com:65536$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "port" },
	{ "1$smdp.example.com:443x$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "port" },
	{ "1$https://smdp.example.com$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$[::1$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "IPv6" },
	{ "1$[nothex]:1$X", ESIM_ACTIVATION_CODE_ERROR_ADDRESS, "SM-DP+ address" },
	{ "1$smdp.example.com$A B", ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID, "matching ID" },
	{ "1$smdp.example.com$A\tB", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "control character" },
	{ "1$smdp.example.com$Ä", ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID, "matching ID" },
	{ "1$smdp.example.com$X$1.2.", ESIM_ACTIVATION_CODE_ERROR_OID, "OID" },
	{ "1$smdp.example.com$X$3.1", ESIM_ACTIVATION_CODE_ERROR_OID, "OID" },
	{ "1$smdp.example.com$X$1", ESIM_ACTIVATION_CODE_ERROR_OID, "OID" },
	{ "1$smdp.example.com$X$1.02", ESIM_ACTIVATION_CODE_ERROR_OID, "OID" },
	{ "1$smdp.example.com$X$1.2.x", ESIM_ACTIVATION_CODE_ERROR_OID, "OID" },
	{ "1$smdp.example.com$X$$yes", ESIM_ACTIVATION_CODE_ERROR_CONFIRMATION_FLAG,
	  "confirmation code" },
	{ "1$smdp.example.com$X$$2", ESIM_ACTIVATION_CODE_ERROR_CONFIRMATION_FLAG,
	  "confirmation code" },
	{ "\x10$\xAA$\xBB$\xCC", ESIM_ACTIVATION_CODE_ERROR_FORMAT, "UTF-8" },
};

static void
test_activation_code_invalid (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++) {
		const InvalidCase *c = &invalid_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(EsimActivationCode) code = esim_activation_code_parse (c->text, &error);

		g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, c->text);
		g_assert_null (code);
		g_assert_error (error, ESIM_ACTIVATION_CODE_ERROR, (gint) c->code);
		if (c->message_part != NULL)
			g_assert_nonnull (strstr (error->message, c->message_part));
	}
}

/* The matching ID is the user's secret: no message repeats it. */
static void
test_activation_code_secret_not_in_messages (void)
{
	const gchar *texts[] = {
		"1$smdp.example.com$SECRET TOKEN",
		"1$smdp.example.com$SECRETÄ",
		"1$smdp.example.com$SECRET$x",
		"1$smdp.example.com$SECRET$$9",
		"1$smdp.example.com$SECRET$$1$extra",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (texts); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(EsimActivationCode) code = esim_activation_code_parse (texts[i], &error);

		g_assert_null (code);
		g_assert_nonnull (error);
		g_assert_null (strstr (error->message, "SECRET"));
	}
}

static void
test_activation_code_length (void)
{
	g_autoptr(GString) text = g_string_new ("1$smdp.example.com$");
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimActivationCode) at_limit = NULL;
	g_autoptr(EsimActivationCode) over = NULL;

	while (text->len < ESIM_ACTIVATION_CODE_MAX_LENGTH)
		g_string_append_c (text, 'A');
	at_limit = esim_activation_code_parse (text->str, &error);
	g_assert_no_error (error);
	g_assert_nonnull (at_limit);
	g_string_append_c (text, 'A');
	over = esim_activation_code_parse (text->str, &error);
	g_assert_null (over);
	g_assert_error (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_FORMAT);
}

static void
test_server_address (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;
	guint16 port = 1;

	g_assert_true (esim_server_address_parse ("EIM.Example.org:8000", &host, &port, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (host, ==, "eim.example.org");
	g_assert_cmpuint (port, ==, 8000);
	g_clear_pointer (&host, g_free);
	g_assert_true (esim_server_address_parse ("eim.example.org.", &host, &port, NULL));
	g_assert_cmpuint (port, ==, 0);
	/* a label of 64 characters is one too many */
	{
		g_autofree gchar *label = g_strnfill (64, 'a');
		g_autofree gchar *address = g_strconcat (label, ".example.org", NULL);

		g_assert_false (esim_server_address_parse (address, NULL, NULL, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/activation-code/valid", test_activation_code_valid);
	g_test_add_func ("/esim/activation-code/invalid", test_activation_code_invalid);
	g_test_add_func ("/esim/activation-code/secret-not-in-messages",
	                 test_activation_code_secret_not_in_messages);
	g_test_add_func ("/esim/activation-code/length", test_activation_code_length);
	g_test_add_func ("/esim/activation-code/server-address", test_server_address);
	return g_test_run ();
}
