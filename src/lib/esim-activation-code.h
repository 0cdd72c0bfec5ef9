/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Activation codes (GSMA SGP.22 §4.1), as printed in QR codes and given to
 * `esimcli profile download` or in an eIM's ProfileDownloadTriggerRequest:
 *
 *   [LPA:]1$<SM-DP+ address>$<matching ID>[$<SM-DP+ OID>[$<confirmation code required flag>]]
 *
 * The SM-DP+ address is a host name, optionally with ":port"; the matching ID
 * and the OID may be empty (the SM-DP+ then finds the order by EID or serves
 * its default); the flag is "1" when the user must enter a confirmation code.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_ACTIVATION_CODE_ERROR (esim_activation_code_error_quark ())
GQuark esim_activation_code_error_quark (void);

/* Each code names the field that is wrong; the message says how. */
typedef enum {
	ESIM_ACTIVATION_CODE_ERROR_FORMAT,            /* not "1$…", too long, not UTF-8, control characters */
	ESIM_ACTIVATION_CODE_ERROR_ADDRESS,           /* SM-DP+ address */
	ESIM_ACTIVATION_CODE_ERROR_MATCHING_ID,
	ESIM_ACTIVATION_CODE_ERROR_OID,               /* SM-DP+ OID */
	ESIM_ACTIVATION_CODE_ERROR_CONFIRMATION_FLAG,
	ESIM_ACTIVATION_CODE_ERROR_EXTRA_FIELDS,      /* more than five '$'-separated fields */
} EsimActivationCodeError;

/* ProfileDownloadTriggerRequest carries the code as UTF8String (SIZE(0..255)). */
#define ESIM_ACTIVATION_CODE_MAX_LENGTH 255

typedef struct {
	gchar    *smdp_address;   /* as given, host[:port], never empty */
	gchar    *host;           /* without the port, lower case */
	guint16   port;           /* 0: none given (HTTPS default) */
	gchar    *matching_id;    /* never NULL; "" when empty */
	gchar    *smdp_oid;       /* NULL when absent or empty */
	gboolean  confirmation_code_required;
} EsimActivationCode;

EsimActivationCode *esim_activation_code_parse (const gchar *text, GError **error);
void                esim_activation_code_free (EsimActivationCode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimActivationCode, esim_activation_code_free)

/* Checks "host[:port]" as an SM-DP+ or eIM address (also used for eimFqdn).
 * On success, @host (lower case) and @port (0 when none) are set if non-NULL. */
gboolean esim_server_address_parse (const gchar *address, gchar **host, guint16 *port,
                                    GError **error);

G_END_DECLS
