/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Activation code parser (GSMA SGP.22 §4.1).  Field rules as other LPAs apply
 * them: an optional "LPA:" prefix (the QR-code form; OpenEUICC accepts it in
 * any case), format "1", an empty matching ID or OID allowed, "$$1" for a
 * confirmation code without OID (onomondo-ipa's activation_code tests).  The
 * code is the user's secret: messages name the field and what is wrong with
 * it, never the matching ID itself.
 */

#define G_LOG_DOMAIN "esim"

#include <gio/gio.h>
#include <string.h>

#include "esim-activation-code.h"

#define HOST_NAME_MAX_LENGTH  253
#define HOST_LABEL_MAX_LENGTH 63

G_DEFINE_QUARK (esim-activation-code-error-quark, esim_activation_code_error)

void
esim_activation_code_free (EsimActivationCode *code)
{
	if (code == NULL)
		return;
	g_free (code->smdp_address);
	g_free (code->host);
	g_free (code->matching_id);
	g_free (code->smdp_oid);
	g_free (code);
}

/* RFC 1123 host name, or an IPv4 address (same character rules). */
static gboolean
host_name_is_valid (const gchar *host, gsize len)
{
	gsize label = 0;

	if (len == 0 || len > HOST_NAME_MAX_LENGTH)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		gchar c = host[i];

		if (c == '.') {
			/* no empty label, none ending with '-' */
			if (label == 0 || host[i - 1] == '-')
				return FALSE;
			label = 0;
			continue;
		}
		if (!g_ascii_isalnum (c) && c != '-')
			return FALSE;
		if (c == '-' && label == 0)
			return FALSE;
		if (++label > HOST_LABEL_MAX_LENGTH)
			return FALSE;
	}
	/* a trailing dot (absolute name) is fine, a trailing '-' is not */
	return host[len - 1] != '-';
}

/* "[v6 address]": only the characters an IPv6 literal can hold. */
static gboolean
ipv6_literal_is_valid (const gchar *inside, gsize len)
{
	g_autofree gchar *copy = g_strndup (inside, len);

	return len > 1 && g_hostname_is_ip_address (copy) && strchr (copy, ':') != NULL;
}

static gboolean
port_parse (const gchar *text, guint16 *port)
{
	guint64 value = 0;

	if (*text == '\0' || strlen (text) > 5)
		return FALSE;
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isdigit (*p))
			return FALSE;
		value = value * 10 + (guint64) (*p - '0');
	}
	if (value == 0 || value > G_MAXUINT16)
		return FALSE;
	*port = (guint16) value;
	return TRUE;
}

gboolean
esim_server_address_parse (const gchar *address, gchar **host, guint16 *port, GError **error)
{
	const gchar *host_start = address;
	const gchar *host_end;
	const gchar *port_text = NULL;
	guint16 port_value = 0;
	gboolean host_ok;

	g_return_val_if_fail (address != NULL, FALSE);

	if (*address == '\0') {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "it is empty");
		return FALSE;
	}
	if (*address == '[') {
		const gchar *close = strchr (address, ']');

		if (close == NULL) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			                     "an IPv6 address lacks its closing ']'");
			return FALSE;
		}
		host_start = address + 1;
		host_end = close;
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0') {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			                     "only ':port' may follow an IPv6 address");
			return FALSE;
		}
		host_ok = ipv6_literal_is_valid (host_start, (gsize) (host_end - host_start));
	} else {
		const gchar *colon = strchr (address, ':');

		host_end = colon != NULL ? colon : address + strlen (address);
		if (colon != NULL)
			port_text = colon + 1;
		host_ok = host_name_is_valid (host_start, (gsize) (host_end - host_start));
	}
	if (!host_ok) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "it is not a host name (letters, digits, '-' and '.'; "
		                     "optionally ':port')");
		return FALSE;
	}
	if (port_text != NULL && !port_parse (port_text, &port_value)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "its port is not a number from 1 to 65535");
		return FALSE;
	}
	if (host != NULL)
		*host = g_ascii_strdown (host_start, host_end - host_start);
	if (port != NULL)
		*port = port_value;
	return TRUE;
}

/* Printable ASCII other than '$' (the separator) and space.  SGP.22 tokens use
 * upper-case letters, digits and '-'; SM-DP+ servers in the field also hand out
 * lower case and other punctuation, which the SM-DP+ is the judge of. */
static gboolean
matching_id_is_valid (const gchar *id)
{
	for (const gchar *p = id; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7E || *p == '$')
			return FALSE;
	}
	return TRUE;
}

/* Dotted decimal OID: at least two arcs, first 0–2, no empty arc or leading zero. */
static gboolean
oid_is_valid (const gchar *oid)
{
	g_auto(GStrv) arcs = g_strsplit (oid, ".", -1);
	guint n = g_strv_length (arcs);

	if (n < 2 || strlen (arcs[0]) != 1 || arcs[0][0] < '0' || arcs[0][0] > '2')
		return FALSE;
	for (guint i = 0; i < n; i++) {
		const gchar *arc = arcs[i];

		if (*arc == '\0' || strlen (arc) > 20 || (arc[0] == '0' && arc[1] != '\0'))
			return FALSE;
		for (const gchar *p = arc; *p != '\0'; p++) {
			if (!g_ascii_isdigit (*p))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
code_text_check (const gchar *text, GError **error)
{
	if (strlen (text) > ESIM_ACTIVATION_CODE_MAX_LENGTH) {
		g_set_error (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_FORMAT,
		             "activation code is longer than %u characters",
		             (guint) ESIM_ACTIVATION_CODE_MAX_LENGTH);
		return FALSE;
	}
	if (!g_utf8_validate (text, -1, NULL)) {
		g_set_error_literal (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_FORMAT,
		                     "activation code is not valid UTF-8");
		return FALSE;
	}
	for (const gchar *p = text; *p != '\0'; p++) {
		if ((guchar) *p < 0x20 || *p == 0x7F) {
			g_set_error_literal (error, ESIM_ACTIVATION_CODE_ERROR,
			                     ESIM_ACTIVATION_CODE_ERROR_FORMAT,
			                     "activation code contains a control character");
			return FALSE;
		}
	}
	return TRUE;
}

EsimActivationCode *
esim_activation_code_parse (const gchar *text, GError **error)
{
	g_autoptr(EsimActivationCode) code = NULL;
	g_autoptr(GError) address_error = NULL;
	g_autofree gchar *trimmed = NULL;
	g_auto(GStrv) fields = NULL;
	const gchar *body;
	guint n;

	g_return_val_if_fail (text != NULL, NULL);

	/* what a QR scanner or a copy from a mail adds around it */
	trimmed = g_strstrip (g_strdup (text));
	if (!code_text_check (trimmed, error))
		return NULL;
	body = trimmed;
	if (g_ascii_strncasecmp (body, "LPA:", 4) == 0)
		body += 4;
	fields = g_strsplit (body, "$", -1);
	n = g_strv_length (fields);
	if (n < 1 || !g_str_equal (fields[0], "1")) {
		g_set_error_literal (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_FORMAT,
		                     "activation code does not start with format \"1$\" "
		                     "(optionally after \"LPA:\")");
		return NULL;
	}
	if (n < 3) {
		g_set_error_literal (error, ESIM_ACTIVATION_CODE_ERROR,
		                     n < 2 ? ESIM_ACTIVATION_CODE_ERROR_ADDRESS :
		                     ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID,
		                     n < 2 ? "activation code has no SM-DP+ address" :
		                     "activation code has no matching ID field "
		                     "(write \"1$ADDRESS$\" for an empty one)");
		return NULL;
	}
	if (n > 5) {
		g_set_error (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_EXTRA_FIELDS,
		             "activation code has %u fields; SGP.22 defines at most 5", n);
		return NULL;
	}

	code = g_new0 (EsimActivationCode, 1);
	if (!esim_server_address_parse (fields[1], &code->host, &code->port, &address_error)) {
		g_set_error (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_ADDRESS,
		             "activation code's SM-DP+ address \"%s\" is invalid: %s", fields[1],
		             address_error->message);
		return NULL;
	}
	code->smdp_address = g_strdup (fields[1]);
	if (!matching_id_is_valid (fields[2])) {
		g_set_error_literal (error, ESIM_ACTIVATION_CODE_ERROR,
		                     ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID,
		                     "activation code's matching ID contains a space, '$' or a "
		                     "non-ASCII character");
		return NULL;
	}
	code->matching_id = g_strdup (fields[2]);
	if (n >= 4 && *fields[3] != '\0') {
		if (!oid_is_valid (fields[3])) {
			g_set_error (error, ESIM_ACTIVATION_CODE_ERROR, ESIM_ACTIVATION_CODE_ERROR_OID,
			             "activation code's SM-DP+ OID \"%s\" is not a dotted "
			             "decimal object identifier", fields[3]);
			return NULL;
		}
		code->smdp_oid = g_strdup (fields[3]);
	}
	if (n == 5) {
		if (g_str_equal (fields[4], "1")) {
			code->confirmation_code_required = TRUE;
		} else if (!g_str_equal (fields[4], "0") && *fields[4] != '\0') {
			g_set_error (error, ESIM_ACTIVATION_CODE_ERROR,
			             ESIM_ACTIVATION_CODE_ERROR_CONFIRMATION_FLAG,
			             "activation code's confirmation code flag is \"%s\"; "
			             "it must be 1 (required) or 0", fields[4]);
			return NULL;
		}
	}
	return g_steal_pointer (&code);
}
