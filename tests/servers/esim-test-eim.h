/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimTestEim: a test eIM (SGP.32 v1.2) for the tests and the lab, an HTTPS
 * server with both ESipa bindings:
 *   - ASN.1: POST <asn1-path> (default /gsma/rsp2/asn1), Content-Type
 *     application/x-gsma-rsp-asn1, X-Admin-Protocol gsma/rsp/v2.1.0, as
 *     onomondo-eim serves it (src/esipa_asn1_http_handler.erl,
 *     src/esipa_middleware.erl; digest §3.7);
 *   - JSON: POST <json-prefix><function> (default /gsma/rsp2/esipa/…), the
 *     field shapes of osmocom/osmo-ttcn3-hacks
 *     library/euicc/esipa_Types_JSON.ttcn (SGP.32 §6.4.1.x), which the
 *     Iapyx onomondo-ipa JSON client (src/ipa/libipa/esipa_json.c) and
 *     openiotrsp (esipa/gsma_json.go) agree with.
 *
 * It has its own TLS certificate (issued by its own CA: the IPA pins either
 * through the eIM configuration's trustedPublicKeyDataTls) and its own
 * package-signing key (ECDSA P-256), and keeps per EID:
 *   - a queue of eIM packages (euiccPackageRequest with PSMOs or eCOs,
 *     signed; ipaEuiccDataRequest; profileDownloadTriggerRequest), answered
 *     to GetEimPackage in order;
 *   - the replay counter (one more for every signed package), the
 *     association token, the eUICC certificate that verifies results;
 *   - every result and notification the IPA delivered (EsimTestEimRecord),
 *     with what the eIM found when it checked it, and the sequence numbers it
 *     acknowledged.
 * It relays an indirect profile download to an SM-DP+ over ES9+, pushes
 * packages (TransferEimPackage) to an IPA that listens, and injects faults.
 *
 * Everything it sends it builds with the DER writer of src/lib/esim-der.h,
 * and it parses what it receives with the DER reader: it shares no ESipa
 * encoder with the IPA it tests.  Signatures: src/crypto (raw r‖s).
 *
 * It runs on the thread-default main context of the thread that creates it.
 */
#pragma once

#include <gio/gio.h>
#include <gnutls/abstract.h>

#include "esim-cert.h"

G_BEGIN_DECLS

#define ESIM_TEST_EIM_DEFAULT_ID          "esim-test-eim"
#define ESIM_TEST_EIM_ASN1_PATH           "/gsma/rsp2/asn1"
#define ESIM_TEST_EIM_JSON_PREFIX         "/gsma/rsp2/esipa/"
#define ESIM_TEST_EIM_ASN1_CONTENT_TYPE   "application/x-gsma-rsp-asn1"
#define ESIM_TEST_EIM_JSON_CONTENT_TYPE   "application/json;charset=UTF-8"
#define ESIM_TEST_EIM_ADMIN_PROTOCOL      "gsma/rsp/v2.1.0"

#define ESIM_TEST_EIM_ERROR (esim_test_eim_error_quark ())
GQuark esim_test_eim_error_quark (void);

typedef enum {
	ESIM_TEST_EIM_ERROR_FAILED,       /* setting up: keys, certificates, listening */
	ESIM_TEST_EIM_ERROR_INVALID,      /* a bad argument (EID, ICCID, tag list, file) */
	ESIM_TEST_EIM_ERROR_EMPTY,        /* no package queued for a push */
	ESIM_TEST_EIM_ERROR_TIMED_OUT,    /* esim_test_eim_wait_*: what was awaited never came */
	ESIM_TEST_EIM_ERROR_MALFORMED,    /* a request or answer that does not parse */
} EsimTestEimError;

typedef enum {
	ESIM_TEST_EIM_BINDING_ASN1,
	ESIM_TEST_EIM_BINDING_JSON,
} EsimTestEimBinding;

/* ESipa functions (SGP.32 §6.3.2), as a mask for faults and counters. */
typedef enum {
	ESIM_TEST_EIM_FUNCTION_NONE                    = 0,
	ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE         = 1 << 0,
	ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT = 1 << 1,
	ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION     = 1 << 2,
	ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION = 1 << 3,
	ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT     = 1 << 4,
	ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE = 1 << 5,
	ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION          = 1 << 6,
	ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE    = 1 << 7,   /* the push, eIM → IPA */
} EsimTestEimFunction;

#define ESIM_TEST_EIM_N_FUNCTIONS 8
const gchar *esim_test_eim_function_name (EsimTestEimFunction function);   /* "getEimPackage"… */

/* ---- setting up ---- */

typedef struct {
	const gchar *eim_id;            /* NULL: ESIM_TEST_EIM_DEFAULT_ID */
	const gchar *listen_address;    /* an IP address; NULL: 127.0.0.1 */
	guint16      port;              /* 0: any free port */
	/* The host in eimFqdn ("HOST:PORT") and a dNSName or iPAddress of the TLS
	 * certificate; NULL: the listen address.  The certificate also names
	 * localhost, 127.0.0.1 and ::1. */
	const gchar *host;
	const gchar *asn1_path;         /* NULL: ESIM_TEST_EIM_ASN1_PATH */
	const gchar *json_prefix;       /* NULL: ESIM_TEST_EIM_JSON_PREFIX */
	/* Credentials: the files given, else those in @credentials_dir (made and
	 * written there the first time, so a lab keeps its eIM across restarts),
	 * else fresh ones in memory.  Files in @credentials_dir:
	 * eim-tls-ca.pem, eim-tls-ca-key.pem, eim-tls.pem, eim-tls-key.pem,
	 * eim-signing-key.pem (private keys 0600). */
	const gchar *credentials_dir;
	const gchar *tls_cert_file;     /* PEM: the certificate, then its issuers */
	const gchar *tls_key_file;
	const gchar *tls_ca_file;       /* PEM or DER: the CA put in trustedPublicKeyDataTls */
	const gchar *signing_key_file;  /* PEM or DER, P-256 */
	gint64       initial_counter;   /* counterValue of the configuration; packages start above it */
	/* Every EID is known (answers as if provisioned); FALSE: only EIDs added
	 * with esim_test_eim_add_euicc() or given a package, others get eidNotFound. */
	gboolean     accept_any_eid;
} EsimTestEimOptions;

#define ESIM_TYPE_TEST_EIM (esim_test_eim_get_type ())
G_DECLARE_FINAL_TYPE (EsimTestEim, esim_test_eim, ESIM, TEST_EIM, GObject)

/* Creates the eIM and starts listening. */
EsimTestEim     *esim_test_eim_new (const EsimTestEimOptions *options, GError **error);
const gchar     *esim_test_eim_get_id (EsimTestEim *self);
guint16          esim_test_eim_get_port (EsimTestEim *self);
const gchar     *esim_test_eim_get_fqdn (EsimTestEim *self);           /* "HOST:PORT" */
const gchar     *esim_test_eim_get_asn1_path (EsimTestEim *self);
const gchar     *esim_test_eim_get_json_prefix (EsimTestEim *self);
GBytes          *esim_test_eim_get_tls_ca_der (EsimTestEim *self);     /* owned */
GBytes          *esim_test_eim_get_tls_certificate_der (EsimTestEim *self);
gchar           *esim_test_eim_dup_tls_ca_pem (EsimTestEim *self);
/* A GTlsDatabase trusting this eIM's CA: for the tests' own HTTPS clients.
 * Its anchor file lives as long as the eIM. */
GTlsDatabase    *esim_test_eim_dup_tls_database (EsimTestEim *self, GError **error);
gnutls_privkey_t esim_test_eim_get_signing_key (EsimTestEim *self);    /* owned */
GBytes          *esim_test_eim_get_signing_spki (EsimTestEim *self);   /* SubjectPublicKeyInfo DER, owned */

/* ---- the eIM configuration the IPA is given (SGP.32 §2.11.1, digest §4) ---- */

typedef enum {
	ESIM_TEST_EIM_TLS_TRUST_CA,     /* trustedCertificateTls = the eIM's TLS CA (default) */
	ESIM_TEST_EIM_TLS_TRUST_CERT,   /* trustedCertificateTls = the eIM's own TLS certificate */
	ESIM_TEST_EIM_TLS_TRUST_SPKI,   /* trustedEimPkTls = its TLS key */
	ESIM_TEST_EIM_TLS_TRUST_NONE,   /* no trustedPublicKeyDataTls */
} EsimTestEimTlsTrust;

/* EimSupportedProtocol bits (SGP.32 v1.2 module) */
#define ESIM_TEST_EIM_PROTOCOL_RETRIEVE_HTTPS (1u << 0)
#define ESIM_TEST_EIM_PROTOCOL_INJECT_HTTPS   (1u << 2)

typedef struct {
	EsimTestEimTlsTrust tls_trust;
	guint32      protocols;             /* 0: retrieve over HTTPS only */
	gboolean     no_indirect_download;  /* leave indirectProfileDownload out */
	gboolean     has_association_token; /* write associationToken [4] */
	gint64       association_token;
	gint64       eim_id_type;           /* 0: leave eimIdType out */
	GBytes      *euicc_ci_pkid;         /* euiccCiPKId [8], NULL: none */
	gboolean     signing_key_as_certificate; /* eimPublicKeyData as eimCertificate (self-signed) */
} EsimTestEimConfigOptions;

/* EimConfigurationData (30 …), for AddInitialEim or an addEim eCO. */
GBytes          *esim_test_eim_build_configuration (EsimTestEim *self,
                                                    const EsimTestEimConfigOptions *options,
                                                    GError **error);
/* AddInitialEimRequest BF57 { A0 { EimConfigurationData } }, the file form
 * onomondo-ipa's -f option reads (contrib/sample_eim_cfg.ber). */
GBytes          *esim_test_eim_build_add_initial_eim (EsimTestEim *self,
                                                      const EsimTestEimConfigOptions *options,
                                                      GError **error);

/* ---- eUICCs ---- */

/* EIDs are 32 decimal digits. */
gboolean esim_test_eim_add_euicc (EsimTestEim *self, const gchar *eid, GError **error);
/* The eUICC certificate that verifies this EID's results, registered as a
 * provisioned eIM knows it.  An eIM also learns one from an
 * IpaEuiccDataResponse (euiccCertificate A6 with eumCertificate A5) or an
 * AuthenticateServerResponse it relays, as onomondo-eim does
 * (src/crypto_utils.erl store_euicc_pubkey_*), when its chain verifies up to
 * a CI set with esim_test_eim_set_ci_certificates(). */
gboolean esim_test_eim_set_euicc_certificate (EsimTestEim *self, const gchar *eid, EsimCert *cert,
                                              GError **error);
EsimCert *esim_test_eim_get_euicc_certificate (EsimTestEim *self, const gchar *eid); /* or NULL */
/* CI certificates (EsimCert) that eUICC certificates must chain to. */
void     esim_test_eim_set_ci_certificates (EsimTestEim *self, GPtrArray *cis);
/* The counterValue of the last package signed for @eid (the next one gets
 * one more); initially options->initial_counter. */
gint64   esim_test_eim_get_counter (EsimTestEim *self, const gchar *eid);
gboolean esim_test_eim_set_counter (EsimTestEim *self, const gchar *eid, gint64 counter, GError **error);
/* The associationToken of this eIM on @eid, part of what both sides sign
 * (digest §3.5); none: "84 01 00".  Learnt from an IpaEuiccData
 * associationToken (84) too. */
gboolean esim_test_eim_set_association_token (EsimTestEim *self, const gchar *eid, gboolean has_token,
                                              gint64 token, GError **error);

/* GetEimPackage requests with notifyStateChange from @eid, and the last
 * stateChangeCause (-1: none given). */
guint    esim_test_eim_get_state_changes (EsimTestEim *self, const gchar *eid, gint64 *last_cause);

/* ---- packages ---- */

typedef struct _EsimTestEimPackage EsimTestEimPackage;

/* euiccPackageRequest with a psmoList (A0) or an ecoList (A1), operations
 * added in order (digest §3.4). */
EsimTestEimPackage *esim_test_eim_package_new_psmos (void);
EsimTestEimPackage *esim_test_eim_package_new_ecos (void);
/* ICCIDs: 18–20 digits (an F pad at the end allowed). */
gboolean esim_test_eim_package_add_enable (EsimTestEimPackage *package, const gchar *iccid,
                                           gboolean rollback, GError **error);
gboolean esim_test_eim_package_add_disable (EsimTestEimPackage *package, const gchar *iccid, GError **error);
gboolean esim_test_eim_package_add_delete (EsimTestEimPackage *package, const gchar *iccid, GError **error);
/* @request: the ProfileInfoListRequest's contents (searchCriteria, tagList) as DER, NULL: empty */
void     esim_test_eim_package_add_list_profile_info (EsimTestEimPackage *package, GBytes *request);
void     esim_test_eim_package_add_get_rat (EsimTestEimPackage *package);
/* @smdp_oid: dotted, NULL for none; @smdp_address: NULL for none */
gboolean esim_test_eim_package_add_configure_immediate_enable (EsimTestEimPackage *package,
                                                               gboolean immediate_enable,
                                                               const gchar *smdp_oid,
                                                               const gchar *smdp_address,
                                                               GError **error);
gboolean esim_test_eim_package_add_set_fallback (EsimTestEimPackage *package, const gchar *iccid,
                                                 GError **error);
void     esim_test_eim_package_add_unset_fallback (EsimTestEimPackage *package);
void     esim_test_eim_package_add_set_default_dp (EsimTestEimPackage *package, const gchar *address);
/* eCOs; @configuration: EimConfigurationData (30 …) as DER */
gboolean esim_test_eim_package_add_add_eim (EsimTestEimPackage *package, GBytes *configuration,
                                            GError **error);
void     esim_test_eim_package_add_delete_eim (EsimTestEimPackage *package, const gchar *eim_id);
gboolean esim_test_eim_package_add_update_eim (EsimTestEimPackage *package, GBytes *configuration,
                                               GError **error);
void     esim_test_eim_package_add_list_eim (EsimTestEimPackage *package);
/* ipaEuiccDataRequest: @tags are the tagList bytes (e.g. BF20 A6 …). */
EsimTestEimPackage *esim_test_eim_package_new_data_request (const guint8 *tags, gsize n_tags);
/* Optional fields: euiccCiPKIdentifierToBeUsed (04), searchCriteriaNotification
 * seqNumber (A1 {80}), searchCriteriaEuiccPackageResult seqNumber (A2 {80}). */
void     esim_test_eim_package_set_ci_pkid (EsimTestEimPackage *package, GBytes *ci_pkid);
void     esim_test_eim_package_set_notification_seq (EsimTestEimPackage *package, gint64 seq);
void     esim_test_eim_package_set_result_seq (EsimTestEimPackage *package, gint64 seq);
/* profileDownloadTriggerRequest with an activation code / contactDefaultSmdp / contactSmds */
EsimTestEimPackage *esim_test_eim_package_new_download (const gchar *activation_code);
EsimTestEimPackage *esim_test_eim_package_new_download_default_smdp (void);
EsimTestEimPackage *esim_test_eim_package_new_download_smds (const gchar *smds_address);
/* eimAcknowledgements (BF53), deliverable by a push only (GetEimPackage has no such answer). */
EsimTestEimPackage *esim_test_eim_package_new_acknowledgements (const gint64 *seqs, guint n_seqs);
/* A package sent exactly as given (BF51/BF52/BF54/BF53 TLV), never signed again. */
EsimTestEimPackage *esim_test_eim_package_new_raw (GBytes *tlv);
/* eimTransactionId: NULL leaves it out; by default 16 random bytes. */
void     esim_test_eim_package_set_transaction_id (EsimTestEimPackage *package, GBytes *transaction_id);
void     esim_test_eim_package_free (EsimTestEimPackage *package);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimTestEimPackage, esim_test_eim_package_free)

/* Queues @package (taken) for @eid (made known); returns its id (> 0). */
guint    esim_test_eim_queue (EsimTestEim *self, const gchar *eid, EsimTestEimPackage *package);
guint    esim_test_eim_get_queue_length (EsimTestEim *self, const gchar *eid);
void     esim_test_eim_clear_queue (EsimTestEim *self, const gchar *eid);

typedef enum {
	ESIM_TEST_EIM_PACKAGE_EUICC,          /* euiccPackageRequest BF51 */
	ESIM_TEST_EIM_PACKAGE_DATA_REQUEST,   /* ipaEuiccDataRequest BF52 */
	ESIM_TEST_EIM_PACKAGE_DOWNLOAD,       /* profileDownloadTriggerRequest BF54 */
	ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS, /* eimAcknowledgements BF53 */
} EsimTestEimPackageKind;

/* A package as it was sent. */
typedef struct {
	guint        id;
	gchar       *eid;
	EsimTestEimPackageKind kind;
	EsimTestEimFunction via;       /* GET_EIM_PACKAGE or TRANSFER_EIM_PACKAGE */
	GBytes      *tlv;              /* the BF51/BF52/BF54/BF53 TLV sent */
	GBytes      *eim_transaction_id; /* NULL: none */
	gint64       counter;          /* euiccPackageRequest: counterValue; else -1 */
	GBytes      *signed_data;      /* euiccPackageRequest: DER(EuiccPackageSigned) */
	GBytes      *signature;        /* euiccPackageRequest: eimSignature, r‖s */
	gchar       *activation_code;  /* download: the code, or NULL */
	gchar       *faults;           /* the faults applied ("bad-signature"…), NULL: none */
} EsimTestEimDelivery;

/* Packages sent to @eid, oldest first (const EsimTestEimDelivery *). */
GPtrArray *esim_test_eim_get_deliveries (EsimTestEim *self, const gchar *eid);

/* ---- what came back ---- */

typedef enum {
	ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,   /* BF51 A0: euiccPackageResultSigned */
	ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR,    /* BF51 A1: euiccPackageErrorSigned */
	ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR_UNSIGNED, /* BF51 A2 */
	ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA,         /* BF52 A0 */
	ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA_ERROR,   /* BF52 A1 */
	ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT,        /* BF54 with a ProfileInstallationResult */
	ESIM_TEST_EIM_RECORD_DOWNLOAD_ERROR,         /* BF54 with a profileDownloadError */
	ESIM_TEST_EIM_RECORD_PACKAGE_RESULT_ERROR,   /* eimPackageResultResponseError (A0) */
	ESIM_TEST_EIM_RECORD_NOTIFICATION,           /* a PendingNotification */
	ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED,       /* push answer: eimPackageReceived[WithCid] */
	ESIM_TEST_EIM_RECORD_TRANSFER_ERROR,         /* push answer: eimPackageError[WithCid] */
	ESIM_TEST_EIM_RECORD_MALFORMED,              /* did not parse (the request was refused, 400) */
} EsimTestEimRecordKind;

typedef enum {
	ESIM_TEST_EIM_SIGNATURE_NONE,        /* nothing signed */
	ESIM_TEST_EIM_SIGNATURE_VALID,
	ESIM_TEST_EIM_SIGNATURE_INVALID,
	ESIM_TEST_EIM_SIGNATURE_UNVERIFIED,  /* no eUICC certificate known for the EID */
} EsimTestEimSignature;

typedef struct {
	guint        id;
	gchar       *eid;               /* NULL when the eIM could not tell */
	EsimTestEimRecordKind kind;
	EsimTestEimFunction via;        /* the function that carried it */
	EsimTestEimBinding binding;
	GBytes      *tlv;               /* as received, never re-encoded */
	gchar       *eim_id;            /* in the result, or NULL */
	gint64       seq_number;        /* -1: none */
	gint64       counter;           /* -1: none */
	GBytes      *eim_transaction_id;
	guint        package_id;        /* the delivery it answers, 0: none found */
	gint64       error_code;        /* error alternatives; -1: none */
	EsimTestEimSignature signature;
	gboolean     duplicate;         /* a sequence number this EID already delivered */
	gboolean     acknowledged;      /* its sequence number went into eimAcknowledgements */
	gchar       *summary;           /* e.g. "enable=ok", "listProfileInfo=2 profiles" */
	gchar       *problems;          /* what the checks found, "; "-separated; NULL: none */
} EsimTestEimRecord;

/* Records for @eid (NULL: every record), oldest first (const EsimTestEimRecord *). */
GPtrArray *esim_test_eim_get_records (EsimTestEim *self, const gchar *eid);
/* Sequence numbers acknowledged to @eid, in order (gint64). */
GArray    *esim_test_eim_get_acknowledged (EsimTestEim *self, const gchar *eid);
/* Runs the main context until @eid (NULL: any) has @n records, or fails with
 * ESIM_TEST_EIM_ERROR_TIMED_OUT after @seconds. */
gboolean   esim_test_eim_wait_records (EsimTestEim *self, const gchar *eid, guint n, guint seconds,
                                       GError **error);
/* Signal "record-added" (EsimTestEim *, const EsimTestEimRecord *) is emitted
 * for every new record; "request" (EsimTestEim *, guint function, const gchar
 * *eid or NULL) for every request handled. */

/* ---- indirect profile download (ESipa → ES9+ relay) ---- */

/* The trust for the SM-DP+'s TLS server (e.g. a GTlsFileDatabase of the test
 * CI); NULL turns the relay and the notification forwarding off. */
void     esim_test_eim_set_smdp_trust (EsimTestEim *self, GTlsDatabase *database);
/* Forward full notifications (BF37, 30) to their notificationAddress over
 * ES9+ handleNotification, as onomondo-eim does; on by default with a trust. */
void     esim_test_eim_set_forward_notifications (EsimTestEim *self, gboolean forward);
/* Calls relayed to the SM-DP+ so far, per ESipa function (index: bit number). */
guint    esim_test_eim_get_relayed (EsimTestEim *self, EsimTestEimFunction function);

/* ---- push (TransferEimPackage, eIM → IPA) ---- */

/* POSTs the next package queued for @eid as a TransferEimPackageRequest to
 * https://@address (host:port) at @path (NULL: the binding's default, the
 * ASN.1 path or <json-prefix>transferEimPackage), trusting @trust, and
 * records the TransferEimPackageResponse.  Digest §3.6/§3.8: the roles and the
 * URL of inject over HTTPS are [unverified]; this uses the ESipa paths.  The
 * eIM shows its TLS certificate when the IPA asks for a client certificate. */
void     esim_test_eim_push_async (EsimTestEim *self, const gchar *eid, const gchar *address,
                                   const gchar *path, GTlsDatabase *trust, EsimTestEimBinding binding,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
/* The record of the answer (owned by the eIM). */
const EsimTestEimRecord *esim_test_eim_push_finish (EsimTestEim *self, GAsyncResult *res, GError **error);

/* ---- faults ---- */

typedef enum {
	ESIM_TEST_EIM_FAULT_HTTP_STATUS,     /* answer @value (100–599, else 500) with an empty body */
	ESIM_TEST_EIM_FAULT_NO_ANSWER,       /* never answer: the client times out */
	ESIM_TEST_EIM_FAULT_DROP_CONNECTION, /* send the headers and half the body, then close */
	ESIM_TEST_EIM_FAULT_WRONG_COUNTER,   /* sign with counterValue @value (-1: the last one again) */
	ESIM_TEST_EIM_FAULT_REPLAY,          /* send the last package for the EID again, byte for byte */
	ESIM_TEST_EIM_FAULT_BAD_SIGNATURE,   /* a signature that does not verify */
	ESIM_TEST_EIM_FAULT_WRONG_EIM_ID,    /* sign as another eIM id */
	ESIM_TEST_EIM_FAULT_WRONG_EID,       /* a package for another EID */
	ESIM_TEST_EIM_FAULT_PACKAGE_ERROR,   /* GetEimPackage: eimPackageError @value */
	ESIM_TEST_EIM_FAULT_PROVIDE_ERROR,   /* ProvideEimPackageResult: provideEimPackageResultError @value */
	ESIM_TEST_EIM_FAULT_NO_ACKNOWLEDGEMENT, /* record results but acknowledge nothing (emptyResponse) */
} EsimTestEimFaultKind;

typedef struct {
	EsimTestEimFaultKind kind;
	const gchar *eid;           /* NULL: any EID */
	guint        functions;     /* EsimTestEimFunction mask; 0: any */
	guint        count;         /* requests it hits; 0: all until cleared */
	/* HTTP_STATUS, NO_ANSWER, DROP_CONNECTION: the eIM does its work first
	 * (a package leaves the queue, a result is recorded), then the answer is lost */
	gboolean     after_processing;
	gint64       value;
} EsimTestEimFault;

void     esim_test_eim_add_fault (EsimTestEim *self, const EsimTestEimFault *fault);
void     esim_test_eim_clear_faults (EsimTestEim *self);
const gchar *esim_test_eim_fault_kind_name (EsimTestEimFaultKind kind);   /* "http-status"… */
gboolean esim_test_eim_fault_kind_from_name (const gchar *name, EsimTestEimFaultKind *kind);

/* ---- answers without data ---- */

/* HandleNotification has no answer (SGP.32 §6.3.2.4): by default 200 with an
 * empty body in the ASN.1 binding (onomondo-eim) and 204 in the JSON binding
 * (openiotrsp; SGP.22 §6.3).  @status 200 or 204; with the JSON binding, 200
 * sends a header-only JSON body, as osmo-ttcn3-hacks' eIM does
 * (esipa_Types_JSON.ttcn JSON_ESipa_EmptyResponse).  An IPA accepts all three. */
void     esim_test_eim_set_empty_answer (EsimTestEim *self, EsimTestEimBinding binding, guint status);

/* ---- counters (for the benchmark) ---- */

typedef struct {
	guint   connections;             /* TCP connections accepted */
	guint   tls_handshakes;          /* completed */
	guint   tls_handshakes_resumed;  /* …without the certificate chain: a resumed session */
	guint   tls_handshake_failures;
	guint   requests;                /* HTTP requests handled */
	guint   function_requests[ESIM_TEST_EIM_N_FUNCTIONS]; /* per function (bit number) */
	guint64 http_bytes_received;     /* request lines, headers and bodies */
	guint64 http_bytes_sent;         /* status lines, headers and bodies */
	guint64 wire_bytes_received;     /* TCP payload (TLS included), TCP_INFO where available, else 0 */
	guint64 wire_bytes_sent;
} EsimTestEimCounters;

void     esim_test_eim_get_counters (EsimTestEim *self, EsimTestEimCounters *counters);
void     esim_test_eim_reset_counters (EsimTestEim *self);

/* ---- request parsing (also the fuzz target's entry) ---- */

/* Parses one request body as the eIM does (ASN.1: the whole body; JSON: the
 * body of <json-prefix>@json_function), and drops the result.  For fuzzing. */
gboolean esim_test_eim_parse_request_for_fuzzing (EsimTestEimBinding binding, const gchar *json_function,
                                                  const guint8 *body, gsize len, GError **error);

G_END_DECLS
