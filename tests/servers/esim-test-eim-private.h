/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the test eIM: its codec (esim-test-eim-codec.c, both bindings, no
 * network), its TLS listener and push client (esim-test-eim-net.c), its
 * ES9+ relay (esim-test-eim-relay.c) and the core (esim-test-eim.c).
 *
 * Tags: the universal ones, the ESipa envelopes and the ES10 structures come
 * from src/lib/esim-tags.h; the tags inside ESipa messages that the IPA's
 * codec names are written here again, from the SGP.32 v1.2 module
 * (shared/asn1/SGP32Definitions-v1.2.wireshark.asn) and the digest's wire
 * tables (§3.2–§3.5, §4), so that the eIM and the IPA do not share one
 * table of inner tags.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "esim-der.h"
#include "esim-tags.h"
#include "esim-test-eim.h"

G_BEGIN_DECLS

/* ---- inner tags (SGP.32 v1.2, AUTOMATIC TAGS; digest §3.2–§3.5, §4) ---- */
/* EuiccPackageSigned / EuiccPackageResultDataSigned / …ErrorDataSigned */
#define EIM_TAG_EIM_ID                 0x80   /* eimId [0] */
#define EIM_TAG_COUNTER_VALUE          0x81   /* counterValue [1] */
#define EIM_TAG_EIM_TRANSACTION_ID     0x82   /* eimTransactionId [2] */
#define EIM_TAG_RESULT_SEQ_NUMBER      0x83   /* EuiccPackageResultDataSigned.seqNumber [3] */
#define EIM_TAG_PSMO_LIST              0xA0   /* EuiccPackage psmoList [0] */
#define EIM_TAG_ECO_LIST               0xA1   /* EuiccPackage ecoList [1] */
/* EuiccPackageResult CHOICE, explicit under BF51 */
#define EIM_TAG_EPR_SIGNED             0xA0
#define EIM_TAG_EPR_ERROR_SIGNED       0xA1
#define EIM_TAG_EPR_ERROR_UNSIGNED     0xA2
#define EIM_TAG_EPR_UNSIGNED_TOKEN     0x84   /* EuiccPackageErrorUnsigned.associationToken [4] */
#define EIM_TAG_EPR_UNSIGNED_CODE      0x8F   /* euiccPackageUnsignedErrorCode [15] */
/* PSMOs (digest §3.4) */
#define EIM_TAG_PSMO_ENABLE            0xA3
#define EIM_TAG_PSMO_DISABLE           0xA4
#define EIM_TAG_PSMO_DELETE            0xA5
#define EIM_TAG_PSMO_LIST_PROFILE_INFO 0xBF2D
#define EIM_TAG_PSMO_GET_RAT           0xA6
#define EIM_TAG_PSMO_CONFIGURE_IMMEDIATE_ENABLE 0xA7
#define EIM_TAG_PSMO_SET_FALLBACK      0xA8
#define EIM_TAG_PSMO_UNSET_FALLBACK    0xA9
#define EIM_TAG_PSMO_SET_DEFAULT_DP    0xBF65
#define EIM_TAG_IMMEDIATE_ENABLE_FLAG  0x80   /* configureImmediateEnable { [0] NULL, [1] OID, [2] UTF8 } */
#define EIM_TAG_DEFAULT_SMDP_OID       0x81
#define EIM_TAG_DEFAULT_SMDP_ADDRESS   0x82
#define EIM_TAG_DEFAULT_DP_ADDRESS     0x80   /* SetDefaultDpAddressRequest (automatic) */
/* eCOs */
#define EIM_TAG_ECO_ADD_EIM            0xA8
#define EIM_TAG_ECO_DELETE_EIM         0xA9
#define EIM_TAG_ECO_UPDATE_EIM         0xAA
#define EIM_TAG_ECO_LIST_EIM           0xAB
/* EuiccResultData (digest §3.4 result column) */
#define EIM_TAG_RESULT_ENABLE          0x83
#define EIM_TAG_RESULT_DISABLE         0x84
#define EIM_TAG_RESULT_DELETE          0x85
#define EIM_TAG_RESULT_LIST_PROFILE_INFO 0xBF2D
#define EIM_TAG_RESULT_GET_RAT         0xA6
#define EIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE 0x87
#define EIM_TAG_RESULT_ADD_EIM         0xA8
#define EIM_TAG_RESULT_DELETE_EIM      0x89
#define EIM_TAG_RESULT_UPDATE_EIM      0x8A
#define EIM_TAG_RESULT_LIST_EIM        0xAB
#define EIM_TAG_RESULT_ROLLBACK        0x8C
#define EIM_TAG_RESULT_SET_FALLBACK    0x8D
#define EIM_TAG_RESULT_UNSET_FALLBACK  0x8E
#define EIM_TAG_RESULT_SET_DEFAULT_DP  0xBF65
#define EIM_TAG_ADD_EIM_TOKEN          0x84   /* AddEimResult.associationToken [4] */
/* IpaEuiccDataRequest (BF52) */
#define EIM_TAG_DATA_CI_PKID           0x04   /* universal: the sequence has tagged members */
#define EIM_TAG_DATA_SEARCH_NOTIFICATION 0xA1
#define EIM_TAG_DATA_SEARCH_RESULT     0xA2
#define EIM_TAG_DATA_SEARCH_SEQ        0x80
#define EIM_TAG_DATA_TRANSACTION_ID    0x83
/* IpaEuiccDataResponse (BF52 CHOICE) and IpaEuiccData */
#define EIM_TAG_DATA_OK                0xA0
#define EIM_TAG_DATA_ERROR             0xA1
#define EIM_TAG_DATA_ERROR_TRANSACTION_ID 0x80
#define EIM_TAG_IPA_NOTIFICATIONS      0xA0
#define EIM_TAG_IPA_DEFAULT_SMDP       0x81
#define EIM_TAG_IPA_RESULT_LIST        0xA2
#define EIM_TAG_IPA_ROOT_SMDS          0x83
#define EIM_TAG_IPA_ASSOCIATION_TOKEN  0x84
#define EIM_TAG_IPA_EUM_CERTIFICATE    0xA5
#define EIM_TAG_IPA_EUICC_CERTIFICATE  0xA6
#define EIM_TAG_IPA_TRANSACTION_ID     0x87
#define EIM_TAG_IPA_CAPABILITIES       0xA8
#define EIM_TAG_IPA_DEVICE_INFO        0xA9
/* ProfileDownloadTriggerRequest / Result (BF54) */
#define EIM_TAG_DOWNLOAD_DATA          0xA0   /* profileDownloadData [0], explicit CHOICE */
#define EIM_TAG_DOWNLOAD_AC            0x80
#define EIM_TAG_DOWNLOAD_DEFAULT_SMDP  0x81
#define EIM_TAG_DOWNLOAD_SMDS          0xA2
#define EIM_TAG_DOWNLOAD_SMDS_ADDRESS  0x80
#define EIM_TAG_DOWNLOAD_TRANSACTION_ID 0x82
#define EIM_TAG_DOWNLOAD_ERROR_REASON  0x80   /* profileDownloadError { [0] reason, 04 errorResponse } */
/* EimAcknowledgements (BF53) */
#define EIM_TAG_ACK_SEQ_NUMBER         0x80
/* GetEimPackageRequest (BF4F) */
#define EIM_TAG_NOTIFY_STATE_CHANGE    0x80
#define EIM_TAG_STATE_CHANGE_CAUSE     0x81
#define EIM_TAG_RPLMN                  0x82
/* EimPackageResult CHOICE (in BF50) */
#define EIM_TAG_RESULT_RESPONSE_ERROR  0xA0   /* eimPackageResultResponseError [0] */
#define EIM_TAG_RESULT_ERROR_TRANSACTION_ID 0x80
#define EIM_TAG_NOTIFICATION_LIST      0xA0   /* ePRAndNotifications.notificationList [0] */
/* HandleNotificationEsipa (BF3D) */
#define EIM_TAG_PENDING_NOTIFICATION   0xA0   /* pendingNotification [0], explicit CHOICE */
/* PendingNotification compact forms */
#define EIM_TAG_COMPACT_PIR            0xA0
#define EIM_TAG_COMPACT_OSN            0xA1
/* InitiateAuthenticationRequestEsipa (BF39) */
#define EIM_TAG_EUICC_CHALLENGE        0x81
#define EIM_TAG_IA_EIM_TRANSACTION_ID  0x82
#define EIM_TAG_SMDP_ADDRESS           0x83
/* transactionId [0] in BF3B/BF3A/BF41 requests and in the OK answers */
#define EIM_TAG_TRANSACTION_ID         0x80
#define EIM_TAG_CANCEL_SESSION_RESPONSE 0xA1  /* CancelSessionRequestEsipa: [1] replaces the eUICC's BF41 */
/* responses */
#define EIM_TAG_ANSWER_OK              0xA0   /* …OkEsipa / OkDPEsipa / cancelSessionOk */
#define EIM_TAG_IA_ERROR               0x81   /* initiateAuthenticationErrorEsipa */
#define EIM_TAG_AC_ERROR               0x82   /* authenticateClientErrorEsipa */
#define EIM_TAG_GBPP_ERROR             0x81   /* getBoundProfilePackageErrorEsipa */
#define EIM_TAG_CANCEL_ERROR           0x81   /* cancelSessionError */
#define EIM_TAG_MATCHING_ID            0x0C   /* InitiateAuthenticationOkEsipa.matchingId: universal */
/* TransferEimPackageResponse alternatives besides BF51/30/BF52 */
#define EIM_TAG_PACKAGE_RECEIVED_CID   0xBF60
#define EIM_TAG_PACKAGE_ERROR_CID      0xBF61
#define EIM_TAG_CID_CHOICE             0xA0
#define EIM_TAG_CID_ERROR_CODE         0x81
/* EimConfigurationData (digest §4) */
#define EIM_TAG_CONFIG_EIM_ID          0x80
#define EIM_TAG_CONFIG_FQDN            0x81
#define EIM_TAG_CONFIG_ID_TYPE         0x82
#define EIM_TAG_CONFIG_COUNTER         0x83
#define EIM_TAG_CONFIG_TOKEN           0x84
#define EIM_TAG_CONFIG_PUBLIC_KEY_DATA 0xA5
#define EIM_TAG_CONFIG_TLS_TRUST       0xA6
#define EIM_TAG_CONFIG_PROTOCOLS       0x87
#define EIM_TAG_CONFIG_CI_PKID         0x88
#define EIM_TAG_CONFIG_INDIRECT        0x89
#define EIM_TAG_KEY_CHOICE_SPKI        0xA0   /* …PublicKey SubjectPublicKeyInfo, implicit [0] */
#define EIM_TAG_KEY_CHOICE_CERT        0xA1   /* …Certificate, implicit [1] */
#define EIM_TAG_ADD_INITIAL_EIM_LIST   0xA0   /* AddInitialEimRequest.eimConfigurationDataList [0] */
/* AuthenticateServerResponse / ProfileInstallationResult, for reading only */
#define EIM_TAG_AUTH_RESPONSE_OK       0xA0
#define EIM_TAG_PIR_DATA               0xBF27
#define EIM_TAG_PIR_TRANSACTION_ID     0x80

/* Error codes this eIM answers with (SGP.32 v1.2 module) */
#define EIM_PACKAGE_ERROR_NO_PACKAGE   1      /* noEimPackageAvailable */
#define EIM_PACKAGE_ERROR_EID_NOT_FOUND 2
#define EIM_PACKAGE_ERROR_INVALID_EID  3
#define EIM_PACKAGE_ERROR_MISSING_EID  4
#define EIM_ERROR_UNDEFINED            127
#define EIM_IA_ERROR_INVALID_DP_ADDRESS 1
#define EIM_IA_ERROR_SMDP_ADDRESS_MISMATCH 50
#define EIM_IA_ERROR_INVALID_EIM_TRANSACTION_ID 52
#define EIM_AC_ERROR_INVALID_TRANSACTION_ID 10
#define EIM_GBPP_ERROR_INVALID_TRANSACTION_ID 95
#define EIM_CANCEL_ERROR_INVALID_TRANSACTION_ID 1

/* ---- one request from the IPA, as both bindings parse it ---- */

typedef struct {
	EsimTestEimFunction function;
	EsimTestEimBinding binding;
	GBytes  *eid;                  /* eidValue as given (any length), NULL: absent */
	gboolean notify_state_change;
	gint64   state_change_cause;   /* -1: absent */
	GBytes  *rplmn;
	GBytes  *eim_package_result;   /* EimPackageResult alternative TLV (BF51, 30, BF52, BF54, A0) */
	GBytes  *pending_notification; /* PendingNotification TLV (BF37, 30, A0, A1) */
	GBytes  *euicc_challenge;      /* 16 bytes */
	GBytes  *euicc_info1;          /* BF20 TLV */
	gchar   *smdp_address;
	GBytes  *eim_transaction_id;
	GBytes  *transaction_id;
	GBytes  *euicc_response;       /* BF38 / BF21 / BF41 TLV as the eUICC made it */
} EimRequest;

void     eim_request_clear (EimRequest *request);
/* The whole body of a POST to the ASN.1 path. */
gboolean eim_request_parse_asn1 (const guint8 *body, gsize len, EimRequest *request, GError **error);
/* The body of a POST to <json-prefix>@function_name. */
gboolean eim_request_parse_json (const gchar *function_name, const guint8 *body, gsize len,
                                 EimRequest *request, GError **error);
EsimTestEimFunction eim_function_from_json_name (const gchar *name);
/* FALSE for JSON text nesting deeper than any ESipa message. */
gboolean eim_json_nesting_is_sane (const gchar *body, gsize len);

/* ---- one answer to the IPA ---- */

typedef struct {
	EsimTestEimFunction function;
	gint64   error_code;           /* >= 0: the function's error alternative */
	/* GetEimPackage */
	EsimTestEimPackageKind package_kind;
	GBytes  *package;              /* the BF51/BF52/BF54 TLV */
	/* ProvideEimPackageResult: sequence numbers, none: emptyResponse */
	GArray  *acknowledgements;     /* gint64 */
	/* relayed download answers: whole TLVs as the SM-DP+ sent them */
	GBytes  *transaction_id;       /* bytes */
	GBytes  *server_signed1;
	GBytes  *server_signature1;    /* 5F37 TLV */
	GBytes  *ci_pkid;              /* 04 TLV */
	GBytes  *server_certificate;
	gchar   *matching_id;
	GBytes  *profile_metadata;     /* BF25 TLV */
	GBytes  *smdp_signed2;
	GBytes  *smdp_signature2;      /* 5F37 TLV */
	GBytes  *smdp_certificate;
	GBytes  *hash_cc;              /* 04 TLV */
	GBytes  *bound_profile_package; /* BF36 TLV */
} EimAnswer;

void     eim_answer_clear (EimAnswer *answer);
/* The body, and its content type.  HandleNotification answers no body. */
GBytes  *eim_answer_encode (const EimAnswer *answer, EsimTestEimBinding binding, GError **error);

/* ---- building what the eIM sends ---- */

struct _EsimTestEimPackage {
	EsimTestEimPackageKind kind;
	GBytes    *raw;                /* new_raw: sent as is */
	gboolean   ecos;
	GPtrArray *operations;         /* GBytes: one PSMO or eCO TLV each */
	GBytes    *tags;
	GBytes    *ci_pkid;
	gint64     notification_seq;
	gint64     result_seq;
	gint       download_kind;      /* 0 activation code, 1 default SM-DP+, 2 SM-DS */
	gchar     *activation_code;
	gchar     *smds_address;
	GArray    *seqs;               /* acknowledgements */
	gboolean   transaction_id_set;
	GBytes    *transaction_id;
};

/* EuiccPackageSigned 30 { 80 eimId, 5A eid, 81 counter, 82 tid, A0|A1 { ops } } */
GBytes  *eim_build_euicc_package_signed (const gchar *eim_id, GBytes *eid, gint64 counter,
                                         GBytes *transaction_id, const EsimTestEimPackage *package);
/* BF51 { signed, 5F37 signature } */
GBytes  *eim_build_euicc_package_request (GBytes *signed_data, const guint8 *signature, gsize len);
/* The other kinds, complete TLVs. */
GBytes  *eim_build_unsigned_package (const EsimTestEimPackage *package, GBytes *transaction_id);
/* DER(signed) ‖ 84 L associationToken ("84 01 00" when none), digest §3.5 */
GBytes  *eim_build_signature_input (GBytes *signed_data, gboolean has_token, gint64 token);
GBytes  *eim_build_configuration (const gchar *eim_id, const gchar *fqdn, gint64 counter,
                                  GBytes *signing_key_data, gboolean signing_key_is_cert,
                                  GBytes *tls_trust, gboolean tls_trust_is_cert,
                                  const EsimTestEimConfigOptions *options);
/* Replaces the outer SEQUENCE tag of a whole TLV (an implicit CHOICE alternative). */
GBytes  *eim_retag (GBytes *tlv, EsimTag tag);
/* ICCID digits -> 10 bytes of swapped-nibble BCD, F-padded (SGP.22 Iccid). */
gboolean eim_iccid_to_bcd (const gchar *iccid, guint8 out[10]);
/* EID digits -> 16 bytes. */
GBytes  *eim_eid_to_bytes (const gchar *eid, GError **error);
gchar   *eim_eid_from_bytes (GBytes *eid);

/* ---- reading what the IPA delivered ---- */

typedef struct {
	EsimTestEimRecordKind kind;
	const guint8 *signed_raw;       /* the signed TLV inside (30 …), for the signature */
	gsize    signed_len;
	const guint8 *signature;        /* r‖s */
	gsize    signature_len;
	gchar   *eim_id;
	gint64   counter;
	gint64   seq_number;
	GBytes  *eim_transaction_id;
	gint64   error_code;
	gchar   *summary;
	GBytes  *notification_list;     /* ePRAndNotifications: the A0 TLV */
	/* IpaEuiccData pieces the eIM keeps */
	GBytes  *euicc_certificate;     /* 30 Certificate (re-tagged from A6) */
	GBytes  *eum_certificate;
	GBytes  *euicc_info1;           /* BF20 */
	gboolean has_association_token;
	gint64   association_token;
	GPtrArray *embedded_results;    /* GBytes: BF51 TLVs of euiccPackageResultList */
	GPtrArray *embedded_notifications; /* GBytes: PendingNotification TLVs */
	GBytes  *installation_result;   /* download result: the BF37 */
} EimResultInfo;

void     eim_result_info_clear (EimResultInfo *info);
/* An EuiccPackageResult (BF51). */
gboolean eim_parse_euicc_package_result (GBytes *tlv, EimResultInfo *info, GError **error);
/* Any EimPackageResult alternative (BF51, 30, BF52, BF54, A0) or, for a push
 * answer, a TransferEimPackageResponse alternative (05, BF60, 02, BF61 too). */
gboolean eim_parse_package_result (GBytes *tlv, gboolean transfer, EimResultInfo *info, GError **error);
/* A PendingNotification: its seqNumber and a summary. */
gboolean eim_parse_notification (GBytes *tlv, gint64 *seq_number, gchar **notification_address,
                                 gchar **summary, GError **error);
/* The euiccCertificate and eumCertificate of an AuthenticateServerResponse
 * (BF38 { A0 { 30 euiccSigned1, 5F37, 30 euiccCert, 30 eumCert } }), if any. */
gboolean eim_parse_authenticate_server_certificates (GBytes *bf38, GBytes **euicc_certificate,
                                                     GBytes **eum_certificate);

/* ---- the HTTPS listener (esim-test-eim-tls.c), credentials and push (esim-test-eim-net.c) ---- */

typedef struct _EimListener EimListener;
typedef struct _EimConnection EimConnection;

typedef struct {
	const gchar *chain_pem;             /* the TLS certificate, then its CA */
	const gchar *key_pem;
	SoupServer  *server;
} EimListenerSetup;

EimListener *eim_listener_new (const gchar *address, guint16 port, const EimListenerSetup *setup,
                               GError **error);
void     eim_listener_free (EimListener *listener);
guint16  eim_listener_get_port (EimListener *listener);
void     eim_listener_get_counters (EimListener *listener, EsimTestEimCounters *counters);
void     eim_listener_reset_counters (EimListener *listener);
/* Closes the TCP connection of @msg at once (a fault). */
void     eim_listener_drop (EimListener *listener, SoupServerMessage *msg);
/* A key for the connection of @msg ("remote address:port"), stable while it lasts. */
gchar   *eim_listener_connection_key (SoupServerMessage *msg);

/* The eIM's credentials. */
typedef struct {
	gchar   *tls_chain_pem;           /* leaf, then its CA */
	gchar   *tls_key_pem;
	GBytes  *tls_certificate_der;
	GBytes  *tls_ca_der;
	GBytes  *tls_spki_der;
	gnutls_privkey_t signing_key;
	GBytes  *signing_spki_der;
	GBytes  *signing_certificate_der;   /* self-signed, for eimCertificate */
} EimCredentials;

gboolean eim_credentials_load (EimCredentials *credentials, const EsimTestEimOptions *options,
                               const gchar *host, GError **error);
void     eim_credentials_clear (EimCredentials *credentials);
GBytes  *eim_pem_to_der (const gchar *pem, gsize len);

/* POSTs @body to https://@address@path and returns the answer body;
 * @client_certificate (nullable): shown when the server asks for one. */
void     eim_push_post_async (const gchar *address, const gchar *path, const gchar *content_type,
                              GBytes *body, GTlsDatabase *trust, GTlsCertificate *client_certificate,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
GBytes  *eim_push_post_finish (GAsyncResult *res, guint *status, GError **error);

/* ---- the core, for the push (esim-test-eim.c) ---- */

typedef struct _EimEuicc EimEuicc;

guint     eim_function_index (EsimTestEimFunction function);   /* its bit number */
EimEuicc *eim_core_euicc_lookup (EsimTestEim *self, const gchar *eid);
/* The next package queued for @euicc, built, signed and recorded as sent;
 * NULL with @error unset when there is none. */
EsimTestEimDelivery *eim_core_deliver_next (EsimTestEim *self, EimEuicc *euicc, EsimTestEimFunction via,
                                            GError **error);
/* Records and checks one EimPackageResult (@transfer: or a
 * TransferEimPackageResponse alternative), adds the sequence numbers it
 * accepts to @acks; NULL when it does not parse. */
EsimTestEimRecord *eim_core_process_result (EsimTestEim *self, EimEuicc *euicc, GBytes *tlv,
                                            EsimTestEimFunction via, EsimTestEimBinding binding,
                                            gboolean transfer, GArray *acks, GError **error);
void      eim_core_note_acknowledged (EimEuicc *euicc, GArray *acks);
void      eim_core_count_function (EsimTestEim *self, EsimTestEimFunction function);
/* The eIM's TLS certificate and key, as a client shows them (its push). */
GTlsCertificate *eim_core_dup_tls_client_certificate (EsimTestEim *self);

/* ---- relay (esim-test-eim-relay.c) ---- */

typedef struct _EimRelay EimRelay;

/* What the relay needs from the core for one InitiateAuthentication. */
typedef struct {
	gchar   *eid;                  /* NULL: unknown */
	gchar   *smdp_address;         /* where to relay */
	gchar   *matching_id;          /* from the activation code, for the answer; NULL: none */
	GBytes  *euicc_info1;          /* when the request has none */
} EimRelayContext;

EimRelay *eim_relay_new (void);
void     eim_relay_free (EimRelay *relay);
void     eim_relay_set_trust (EimRelay *relay, GTlsDatabase *database);
gboolean eim_relay_is_enabled (EimRelay *relay);
guint    eim_relay_get_count (EimRelay *relay, EsimTestEimFunction function);
/* The EID of the session with @transaction_id, or NULL. */
const gchar *eim_relay_session_eid (EimRelay *relay, GBytes *transaction_id);
/* Relays @request; the answer comes in @callback as an EimAnswer (taken by the callee). */
typedef void (*EimRelayCallback) (EimAnswer *answer, gpointer user_data);
void     eim_relay_handle (EimRelay *relay, const EimRequest *request, const EimRelayContext *context,
                           EimRelayCallback callback, gpointer user_data);
/* Forwards a notification to its notificationAddress; the outcome is logged. */
void     eim_relay_forward_notification (EimRelay *relay, GBytes *pending_notification,
                                         const gchar *notification_address);
/* Closes sessions and clients. */
void     eim_relay_close (EimRelay *relay);

G_END_DECLS
