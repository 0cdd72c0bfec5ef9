/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the test eIM's tests: a test PKI (CI, EUM, eUICC, a DPtls
 * certificate for "localhost"), the eIM on a free port, the IPA side's HTTPS
 * client (src/net/esim-http.h) to talk to it, and IPA requests built in the
 * test with the DER writer.
 */
#pragma once

#include <gnutls/abstract.h>
#include <libsoup/soup.h>

#include "esim-cert.h"
#include "esim-der.h"
#include "esim-http.h"
#include "esim-test-eim.h"

G_BEGIN_DECLS

typedef struct {
	gchar           *dir;          /* the test PKI, written by esim_test_pki_write() */
	gchar           *eid;
	EsimCert        *ci;
	EsimCert        *eum;
	EsimCert        *euicc;
	gnutls_privkey_t euicc_key;
	gchar           *ci_pem;        /* path */
	GTlsCertificate *dp_tls;        /* DPtls, dNSName localhost: the fake SM-DP+ and the push listener */
} TestPki;

/* Made once per test program. */
const TestPki *test_pki_get (void);
void           test_pki_cleanup (void);

typedef struct {
	const TestPki  *pki;
	EsimTestEim    *eim;
	GTlsDatabase   *eim_trust;
	EsimHttpClient *http;
} Fixture;

void    fixture_setup (Fixture *f, gconstpointer data);
void    fixture_teardown (Fixture *f, gconstpointer data);

/* Runs the main context until *@result is set; fails the test naming @what. */
void    test_wait (GAsyncResult **result, guint seconds, const gchar *what);
void    test_store_result (GObject *source, GAsyncResult *res, gpointer user_data);
/* Runs the main context until *@flag; fails naming @what. */
void    test_wait_flag (gboolean *flag, guint seconds, const gchar *what);

/* Runs the main context until *@counter >= @n; fails naming @what. */
void    test_wait_count (guint *counter, guint n, guint seconds, const gchar *what);

GBytes *test_hex (const gchar *hex);
GBytes *test_finish (EsimDerWriter *writer);

/* POSTs an ESipa request as an IPA does: the ASN.1 path, or <prefix>@function. */
GBytes *test_post (Fixture *f, EsimTestEimBinding binding, const gchar *function, GBytes *body, guint *status,
                   GError **error);
GBytes *test_post_json (Fixture *f, const gchar *function, const gchar *json, guint *status, GError **error);

/* IPA → eIM messages (ASN.1), built here */
GBytes *test_get_eim_package (GBytes *eid);
GBytes *test_provide (GBytes *eid, GBytes *result);
GBytes *test_handle_notification (GBytes *notification);
GBytes *test_eid_bytes (const gchar *eid);

/* GetEimPackage: the package TLV of the answer, or NULL and *@error_code */
GBytes *test_get_package (Fixture *f, EsimTestEimBinding binding, const gchar *eid, gint64 *error_code);

/* An EuiccPackageResult signed by the test eUICC:
 * BF51 { A0 { 30 { 80 eimId, 81 counter, 82 tid, 83 seq, 30 { @results } }, 5F37 } } */
GBytes *test_make_epr (const TestPki *pki, const gchar *eim_id, gint64 counter, GBytes *transaction_id,
                       gint64 seq, GBytes *results, gboolean has_token, gint64 token);
/* An OtherSignedNotification 30 { BF2F { 80 seq, 81 op, 0C address }, 5F37, 30, 30 } */
GBytes *test_make_notification (const TestPki *pki, gint64 seq, const gchar *address);

/* Parts of a delivered euiccPackageRequest */
typedef struct {
	GBytes *signed_data;     /* 30 … as sent */
	GBytes *signature;       /* r‖s */
	gchar  *eim_id;
	GBytes *eid;
	gint64  counter;
	GBytes *transaction_id;
	EsimTag list_tag;        /* A0 psmoList / A1 ecoList */
	GPtrArray *operations;   /* GBytes TLVs */
} TestPackage;

void    test_package_parse (GBytes *bf51, TestPackage *package);
void    test_package_clear (TestPackage *package);
/* The eIM's signing key as the configuration gives it (A5 { A0 SPKI }). */
gnutls_pubkey_t test_config_signing_key (GBytes *configuration);

G_END_DECLS
