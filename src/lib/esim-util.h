/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every layer: hex, ICCID/EID codecs, personal-data masking. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar   *esim_hex_encode (const guint8 *data, gsize len);          /* upper-case */
gchar   *esim_hex_encode_bytes (GBytes *bytes);
GBytes  *esim_hex_decode (const gchar *hex, GError **error);        /* ignores whitespace; G_IO_ERROR_INVALID_DATA */

/* ICCID: 18–20 decimal digits (an 'F' pad only at the end) <-> 10-byte swapped-nibble BCD, F-padded.
 * _from_bcd also takes the 9-byte form some encoders use for 18 digits. */
gboolean esim_iccid_is_valid (const gchar *iccid);
gboolean esim_iccid_to_bcd (const gchar *iccid, guint8 out[10], GError **error);
gchar   *esim_iccid_from_bcd (const guint8 *bcd, gsize len, GError **error);

/* EID: 32 decimal digits, 16 bytes plain BCD (not swapped). */
gboolean esim_eid_is_valid (const gchar *eid);          /* digits + ISO 7064 mod 97-10 check */
gchar   *esim_eid_from_bytes (const guint8 *b, gsize len, GError **error);
gboolean esim_eid_to_bytes (const gchar *eid, guint8 out[16], GError **error);
gchar   *esim_eid_generate (const gchar *prefix8);     /* 8-digit prefix, random body, valid check digits */

/* Personal-info masking for logs: returns @value unchanged when personal info
 * logging is on, else keeps the first 4 and last 2 characters ("8904…19");
 * a value of 6 characters or fewer becomes "…" entirely. */
void         esim_log_set_personal_info (gboolean show);
gboolean     esim_log_get_personal_info (void);
/* Newly allocated (use with g_autofree); NULL in -> "(none)". */
gchar       *esim_log_personal (const gchar *value);

G_END_DECLS
