/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test SM-DP+: ES9+ (SGP.22 v2.5 §5.6, JSON binding §6.5) over HTTPS, for
 * the tests and as a lab.  It plays the server side of a real download:
 * verifies the eUICC's certificate chain (eUICC → EUM → CI) and signatures,
 * signs with the DPauth and DPpb keys of a test PKI in the SGP.26 layout
 * (esim-test-pki.h), binds real profile packages to the card's one-time key
 * (ECKA, BSP; libesim-crypto), and records what comes back.  Its behaviour
 * follows SGP.22 and what a real server does (osmocom pySim osmo-smdpp.py);
 * its JSON and DER are built here with json-glib and the DER writer, never
 * with the client's codecs (esim-es9p.c, esim-es10-download.c), so client
 * and server cannot agree on a wrong encoding.
 *
 * Embedding (the tests):
 *   smdp = esim_test_smdp_new (&(EsimTestSmdpOptions) { .pki_dir = dir }, &error);
 *   esim_test_smdp_listen (smdp, "127.0.0.1:0", &error);
 *   esim_test_smdp_add_order (smdp, &(EsimTestSmdpOrder) { .matching_id = "MID-1" }, &error);
 *   code = esim_test_smdp_get_activation_code (smdp, "MID-1");   // LPA:1$host:port$MID-1
 *   … the client downloads …
 *   esim_test_smdp_get_notifications (smdp), _get_cancelled (smdp), _get_order_state ()
 * The standalone program (esim-test-smdp --help) serves the same way.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESIM_TEST_SMDP_ERROR (esim_test_smdp_error_quark ())
GQuark esim_test_smdp_error_quark (void);

typedef enum {
	ESIM_TEST_SMDP_ERROR_PKI,       /* a certificate or key of the PKI is missing or unusable */
	ESIM_TEST_SMDP_ERROR_ORDER,     /* an order that cannot be served */
	ESIM_TEST_SMDP_ERROR_LISTEN,    /* cannot listen */
} EsimTestSmdpError;

#define ESIM_TYPE_TEST_SMDP (esim_test_smdp_get_type ())
G_DECLARE_FINAL_TYPE (EsimTestSmdp, esim_test_smdp, ESIM, TEST_SMDP, GObject)

typedef struct {
	/* the PKI (SGP.26 layout): CertificateIssuer/ (the CIs it trusts for eUICCs),
	 * DPauth/, DPpb/, DPtls/; Expired/ and ForeignCI/ for the faults that use them */
	const gchar *pki_dir;
	/* the host it is known by (smdpAddress, serverAddress, activation codes);
	 * NULL: the DPtls certificate's dNSName */
	const gchar *host;
	/* which DPtls to present: NULL for DPtls/, else "Expired" or "ForeignCI" */
	const gchar *tls_set;
} EsimTestSmdpOptions;

EsimTestSmdp *esim_test_smdp_new (const EsimTestSmdpOptions *options, GError **error);
/* Listens for HTTPS on @address ("127.0.0.1:0", "[::1]:8443"; port 0: any). */
gboolean      esim_test_smdp_listen (EsimTestSmdp *self, const gchar *address, GError **error);
guint16       esim_test_smdp_get_port (EsimTestSmdp *self);
/* host:port (host alone on 443), as activation codes and serverSigned1 carry it. */
const gchar  *esim_test_smdp_get_address (EsimTestSmdp *self);
/* The SM-DP+ OID of its DPauth/DPpb certificates, dotted. */
const gchar  *esim_test_smdp_get_oid (EsimTestSmdp *self);

/* ---- orders ---- */

typedef struct {
	const gchar *matching_id;        /* "" or NULL: the default order of @eid (empty matching ID) */
	const gchar *eid;                /* NULL: any eUICC; required for a default order */
	const gchar *confirmation_code;  /* NULL: none required */
	guint        cc_attempts;        /* wrong codes before the order is blocked; 0: 3 */
	const gchar *iccid;              /* NULL: a fresh one */
	const gchar *profile_name;       /* NULL: "esimd test profile" */
	const gchar *service_provider;   /* NULL: "esimd test operator" */
	const gchar *profile_class;      /* "test", "provisioning", NULL/"operational" */
	gboolean     protect_in_advance; /* a PPP with ReplaceSessionKeys (SGP.22 §2.5.4) */
	gsize        profile_size;       /* profile element bytes in the profile; 0: 4000 */
	const gchar *header_iccid;       /* fault: the profile itself says this ICCID, not its metadata's */
} EsimTestSmdpOrder;

typedef enum {
	ESIM_TEST_SMDP_ORDER_RELEASED,    /* may be downloaded */
	ESIM_TEST_SMDP_ORDER_DOWNLOADED,  /* a package was sent, no result yet */
	ESIM_TEST_SMDP_ORDER_INSTALLED,   /* a successful installation result came back */
	ESIM_TEST_SMDP_ORDER_BLOCKED,     /* confirmation code retries used up */
} EsimTestSmdpOrderState;

gboolean     esim_test_smdp_add_order (EsimTestSmdp *self, const EsimTestSmdpOrder *order, GError **error);
/* LPA:1$<address>$<matching ID>, with "$$1" when a confirmation code is required
 * (SGP.22 §4.1); NULL for an unknown order. */
gchar       *esim_test_smdp_get_activation_code (EsimTestSmdp *self, const gchar *matching_id);
const gchar *esim_test_smdp_get_order_iccid (EsimTestSmdp *self, const gchar *matching_id);
EsimTestSmdpOrderState esim_test_smdp_get_order_state (EsimTestSmdp *self, const gchar *matching_id);
/* NULL-terminated; for the standalone program's listing. */
GStrv        esim_test_smdp_dup_matching_ids (EsimTestSmdp *self);

/* ---- faults ---- */

typedef enum {
	ESIM_TEST_SMDP_FAULT_NONE                 = 0,
	ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE = 1 << 0, /* serverSignature1 does not verify */
	ESIM_TEST_SMDP_FAULT_BAD_SMDP_SIGNATURE2  = 1 << 1, /* smdpSignature2 does not verify */
	ESIM_TEST_SMDP_FAULT_FOREIGN_CI           = 1 << 2, /* DPauth and DPpb of ForeignCI/ */
	ESIM_TEST_SMDP_FAULT_EXPIRED_DPAUTH       = 1 << 3, /* DPauth of Expired/ */
	ESIM_TEST_SMDP_FAULT_DROP_CONNECTION      = 1 << 4, /* getBoundProfilePackage: half an answer, then close */
	ESIM_TEST_SMDP_FAULT_TAMPER_BPP           = 1 << 5, /* a byte of the last 86 flipped after its MAC */
} EsimTestSmdpFault;

void     esim_test_smdp_set_faults (EsimTestSmdp *self, guint faults);
/* @function ("initiateAuthentication", "getBoundProfilePackage"…) answers HTTP
 * @status (e.g. 500) with no body; 0 clears. */
void     esim_test_smdp_set_http_error (EsimTestSmdp *self, const gchar *function, guint status);

/* ---- what came back ---- */

typedef struct {
	GBytes  *raw;                     /* the PendingNotification TLV as received */
	gboolean installation_result;     /* BF37; else an OtherSignedNotification */
	gboolean verified;                /* the eUICC's signature checked (its certificate known) */
	gchar   *transaction_id;          /* installation results; upper-case hex */
	guint64  seq_number;
	guint    events;                  /* NotificationEvent bits (1 install, 2 enable, 4 disable, 8 delete) */
	gchar   *address;                 /* notificationAddress */
	gchar   *iccid;                   /* NULL if absent */
	gboolean success;                 /* installation results: successResult */
	gint     bpp_command_id;          /* errorResult; -1 on success */
	gint     error_reason;            /* errorResult; 0 on success */
} EsimTestSmdpNotification;

typedef struct {
	gchar   *transaction_id;
	gint     reason;                  /* CancelSessionReason; -1 for the card's error answer */
	gboolean verified;
} EsimTestSmdpCancelled;

/* Owned by the server, in arrival order. */
GPtrArray *esim_test_smdp_get_notifications (EsimTestSmdp *self);
GPtrArray *esim_test_smdp_get_cancelled (EsimTestSmdp *self);
/* Requests received for @function (the last path element). */
guint      esim_test_smdp_get_request_count (EsimTestSmdp *self, const gchar *function);
/* Distinct TCP connections that carried a request. */
guint      esim_test_smdp_get_connection_count (EsimTestSmdp *self);
/* The TAC and IMEI (decimal digits) of the deviceInfo in the last ctxParams1 the eUICC
 * signed (authenticateClient); NULL when absent. */
const gchar *esim_test_smdp_get_device_tac (EsimTestSmdp *self);
const gchar *esim_test_smdp_get_device_imei (EsimTestSmdp *self);

/* ---- without HTTP (the server suite, fuzzing) ---- */

/* Handles one ES9+ request body for @function as the HTTPS handler does and
 * returns the HTTP status; *@answer (may be NULL) gets the JSON answer or NULL.
 * No fault that needs a connection applies. */
guint      esim_test_smdp_handle (EsimTestSmdp *self, const gchar *function, const gchar *body,
                                  gsize len, gchar **answer);

G_END_DECLS
