/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa, the IPA ↔ eIM interface (SGP.32 v1.2 §3 and §6): the messages as one
 * typed model, and their ASN.1 binding (§6.3: the HTTP body is exactly one DER
 * EsipaMessageFromIpaToEim / EsipaMessageFromEimToIpa, POSTed to
 * https://<eimFqdn>/gsma/rsp2/asn1).  esim-esipa-json.h is the JSON binding
 * (§6.4) of the same model.  Pure: no network, no card.
 *
 * Encodings are the v1.2 module's (shared/asn1/SGP32Definitions-v1.2.wireshark.asn;
 * wire forms in sgp32-digest.md §3, checked there with asn1c), never v1.0's.
 * What the eUICC or the eIM signed (EuiccPackageRequest and EuiccPackageResult
 * BF51, notifications, BF38/BF21/BF41 from the card, the BPP) crosses this
 * API as the raw TLV it came as: encoders wrap it, parsers hand it out, and
 * the decoded members next to it are for routing and logs only.
 *
 * Errors: arguments an encoder refuses are G_IO_ERROR_INVALID_ARGUMENT
 * (nothing is built); an answer that is not the function's message is
 * ESIM_ESIPA_ERROR_MALFORMED; the eIM's error alternative of a download relay
 * function is ESIM_ESIPA_ERROR_REFUSED with the eIM's code in *eim_error and
 * its name in the message ("InitiateAuthentication: smdpAddressMismatch (50)").
 * eimPackageError and provideEimPackageResultError are answers, not failures:
 * they come back in the result (noEimPackageAvailable is the usual end of a
 * poll).  The error codes are named in esim-tags.h.
 */
#pragma once

#include <glib.h>

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-es10-download.h"
#include "esim-es9p.h"
#include "esim-tags.h"

G_BEGIN_DECLS

/* HTTP binding of the ASN.1 messages (SGP.32 §6.1/§6.3; onomondo-ipa
 * http_hdr.h and esipa.c; onomondo-eim accepts exactly this admin protocol). */
#define ESIM_ESIPA_PATH_ASN1          "/gsma/rsp2/asn1"
#define ESIM_ESIPA_CONTENT_TYPE_ASN1  "application/x-gsma-rsp-asn1"
#define ESIM_ESIPA_ADMIN_PROTOCOL     "gsma/rsp/v2.1.0"

#define ESIM_ESIPA_ERROR (esim_esipa_error_quark ())
GQuark esim_esipa_error_quark (void);

typedef enum {
	ESIM_ESIPA_ERROR_MALFORMED = 0, /* not the message this function answers with */
	ESIM_ESIPA_ERROR_REFUSED,       /* the eIM's error alternative (or a JSON "Failed" header) */
	ESIM_ESIPA_ERROR_EXPIRED,       /* JSON binding: a header with status "Expired" */
} EsimEsipaError;

/* IpaCapabilities.ipaFeatures named bits (digest §4). */
typedef enum {
	ESIM_IPA_FEATURE_DIRECT_RSP             = 1 << 0, /* directRspServerCommunication */
	ESIM_IPA_FEATURE_INDIRECT_RSP           = 1 << 1, /* indirectRspServerCommunication */
	ESIM_IPA_FEATURE_EIM_DOWNLOAD_DATA      = 1 << 2, /* eimDownloadDataHandling */
	ESIM_IPA_FEATURE_EIM_CTX_PARAMS1        = 1 << 3, /* eimCtxParams1Generation */
	ESIM_IPA_FEATURE_EIM_METADATA_CHECK     = 1 << 4, /* eimProfileMetadataVerification */
	ESIM_IPA_FEATURE_MINIMIZE_ESIPA_BYTES   = 1 << 5, /* minimizeEsipaBytes */
} EsimIpaFeatures;

/* IpaCapabilities.ipaSupportedProtocols named bits. */
typedef enum {
	ESIM_IPA_PROTOCOL_RETRIEVE_HTTPS = 1 << 0,
	ESIM_IPA_PROTOCOL_RETRIEVE_COAPS = 1 << 1,
	ESIM_IPA_PROTOCOL_INJECT_HTTPS   = 1 << 2,
	ESIM_IPA_PROTOCOL_INJECT_COAPS   = 1 << 3,
	ESIM_IPA_PROTOCOL_PROPRIETARY    = 1 << 4,
} EsimIpaProtocols;

/* ======================================================================
 * eIM → IPA: the packages
 * ====================================================================== */

/* EuiccPackageRequest (BF51), signed by the eIM.  The card gets raw
 * (LoadEuiccPackage); the rest is read for routing and logs.  The card, not
 * the IPA, judges the EID and the counter (it answers with a signed error). */
typedef struct {
	gchar    *eim_id;
	GBytes   *eid;                 /* eidValue as sent (16 bytes in a valid package) */
	guint64   counter_value;
	gchar    *eim_transaction_id;  /* upper-case hex; NULL if absent */
	gboolean  is_eco;              /* ecoList (eIM configuration), not psmoList */
	GBytes   *raw;                 /* the whole BF51 */
} EsimEuiccPackageRequest;

void esim_euicc_package_request_free (EsimEuiccPackageRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEuiccPackageRequest, esim_euicc_package_request_free)

/* IpaEuiccDataRequest (BF52).  The tags are kept as sent: whether the IPA
 * serves each is the executor's call (esim_esipa_ipa_euicc_data_tag_name();
 * a tag it does not serve is answered with incorrectTagList, as a vendor IPA
 * does: sgp32-digest.md "Fourth pass"). */
typedef struct {
	GArray                *tags;               /* EsimTag, in request order */
	GBytes                *euicc_ci_pkid;      /* euiccCiPKIdentifierToBeUsed value; NULL */
	/* searchCriteriaNotification: ALL when absent, else SEQ_NUMBER or
	 * OPERATION with the value (a seqNumber, or an EsimNotificationEvent mask),
	 * ready for esim_es10_encode_retrieve_notifications_list() */
	EsimNotificationSearch notification_search;
	guint64                notification_search_value;
	gboolean               has_epr_search;     /* searchCriteriaEuiccPackageResult */
	guint64                epr_seq_number;
	gchar                 *eim_transaction_id; /* upper-case hex; NULL */
	GBytes                *raw;                /* the whole BF52 */
} EsimIpaEuiccDataRequest;

void esim_ipa_euicc_data_request_free (EsimIpaEuiccDataRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimIpaEuiccDataRequest, esim_ipa_euicc_data_request_free)

/* The IpaEuiccData member a tagList entry names ("euiccInfo1", "deviceInfo"…),
 * or NULL when @tag is none in v1.2 (v1.0's 80 and BF2B, EID 5A, BF2D…). */
const gchar *esim_esipa_ipa_euicc_data_tag_name (EsimTag tag);

typedef enum {
	ESIM_DOWNLOAD_TRIGGER_NONE = 0,        /* profileDownloadData left out */
	ESIM_DOWNLOAD_TRIGGER_ACTIVATION_CODE,
	ESIM_DOWNLOAD_TRIGGER_DEFAULT_SMDP,    /* contactDefaultSmdp */
	ESIM_DOWNLOAD_TRIGGER_SMDS,            /* contactSmds */
} EsimDownloadTriggerKind;

/* ProfileDownloadTriggerRequest (BF54), also what an SM-DS hands over in
 * authenticateClientOkDSEsipa.  The activation code is only checked to be
 * UTF-8 of at most 255 bytes here: a code the download cannot use is the
 * download's failure (a profileDownloadError result), not a broken message. */
typedef struct _EsimProfileDownloadTrigger {
	EsimDownloadTriggerKind kind;
	gchar  *activation_code;     /* ACTIVATION_CODE; may be "" */
	gchar  *smds_address;        /* SMDS: NULL = the eUICC's root SM-DS */
	gchar  *eim_transaction_id;  /* upper-case hex; NULL */
	GBytes *raw;                 /* the whole BF54 */
} EsimProfileDownloadTrigger;

void esim_profile_download_trigger_free (EsimProfileDownloadTrigger *trigger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProfileDownloadTrigger, esim_profile_download_trigger_free)

typedef enum {
	ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST = 0, /* BF51 */
	ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST,    /* BF52 */
	ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER,  /* BF54 */
	ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS,          /* BF53: TransferEimPackageRequest only */
	ESIM_EIM_PACKAGE_ERROR,                     /* eimPackageError: GetEimPackageResponse only */
} EsimEimPackageKind;

/* What GetEimPackageResponse or TransferEimPackageRequest carries; exactly
 * the member of @kind is set. */
typedef struct {
	EsimEimPackageKind          kind;
	EsimEuiccPackageRequest    *euicc_package_request;
	EsimIpaEuiccDataRequest    *ipa_euicc_data_request;
	EsimProfileDownloadTrigger *profile_download_trigger;
	GArray                     *acknowledgements;  /* guint64 seqNumbers */
	gint                        error_code;        /* ESIM_EIM_PACKAGE_ERROR_*, 127… */
} EsimEimPackage;

void esim_eim_package_free (EsimEimPackage *package);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEimPackage, esim_eim_package_free)

/* "noEimPackageAvailable"…, "unknown" */
const gchar *esim_esipa_eim_package_error_to_string (gint code);

/* ProvideEimPackageResultResponse (BF50), also HandleNotification's answer
 * when it carried a result. */
typedef enum {
	ESIM_PROVIDE_RESULT_ACKNOWLEDGEMENTS = 0,  /* eimAcknowledgements */
	ESIM_PROVIDE_RESULT_EMPTY,                 /* emptyResponse, or an empty body */
	ESIM_PROVIDE_RESULT_ERROR,                 /* provideEimPackageResultError */
} EsimProvideResultKind;

typedef struct {
	EsimProvideResultKind kind;
	GArray               *acknowledgements;  /* guint64 seqNumbers (ACKNOWLEDGEMENTS) */
	gint                  error_code;        /* ERROR: eidNotFound 2, invalidEid 3, missingEid 4, 127 */
} EsimProvideResultResponse;

void esim_provide_result_response_free (EsimProvideResultResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProvideResultResponse, esim_provide_result_response_free)

/* ---- the parts, from one TLV each (the JSON binding carries them apart) ---- */
EsimEuiccPackageRequest    *esim_esipa_parse_euicc_package_request (GBytes *tlv, GError **error);
EsimIpaEuiccDataRequest    *esim_esipa_parse_ipa_euicc_data_request (GBytes *tlv, GError **error);
EsimProfileDownloadTrigger *esim_esipa_parse_profile_download_trigger (GBytes *tlv, GError **error);
GArray                     *esim_esipa_parse_eim_acknowledgements (GBytes *tlv, GError **error);

/* ---- ASN.1 binding: the eIM's answers and requests (a whole HTTP body) ---- */
EsimEimPackage            *esim_esipa_parse_get_eim_package_response (GBytes *body, GError **error);
EsimEimPackage            *esim_esipa_parse_transfer_eim_package_request (GBytes *body, GError **error);
/* An empty body (HTTP 204) is emptyResponse. */
EsimProvideResultResponse *esim_esipa_parse_provide_eim_package_result_response (GBytes *body,
                                                                               GError **error);
/* The download relay (indirect profile download): the same results as ES9+.
 * On the eIM's error alternative: ESIM_ESIPA_ERROR_REFUSED and, if @eim_error
 * is non-NULL, its code there (-1 for every other failure). */
EsimInitiateAuthenticationOk *esim_esipa_parse_initiate_authentication_response (GBytes *body,
                                                                                gint *eim_error,
                                                                                GError **error);
EsimAuthenticateClientOk     *esim_esipa_parse_authenticate_client_response (GBytes *body,
                                                                            gint *eim_error,
                                                                            GError **error);
EsimBoundProfilePackageOk    *esim_esipa_parse_get_bound_profile_package_response (GBytes *body,
                                                                                  gint *eim_error,
                                                                                  GError **error);
/* An empty body is accepted as cancelSessionOk. */
gboolean                      esim_esipa_parse_cancel_session_response (GBytes *body, gint *eim_error,
                                                                        GError **error);

/* ======================================================================
 * IPA → eIM
 * ====================================================================== */

typedef struct {
	const gchar *eid;                 /* 32 digits */
	gboolean     notify_state_change; /* the eIM should refresh what it knows of the eUICC */
	gint         state_change_cause;  /* ESIM_STATE_CHANGE_*; -1 = left out; needs notify_state_change */
	const gchar *rplmn;               /* MCC and MNC of the last registered PLMN, 5 or 6
	                                   * digits ("26201"); NULL = left out */
} EsimGetEimPackageRequest;

typedef enum {
	ESIM_EIM_PACKAGE_RESULT_EUICC_PACKAGE_RESULT = 0, /* BF51 from the card */
	ESIM_EIM_PACKAGE_RESULT_EPR_AND_NOTIFICATIONS,    /* 30 { BF51, A0 { notifications } } */
	ESIM_EIM_PACKAGE_RESULT_IPA_EUICC_DATA,           /* BF52 (esim_esipa_build_ipa_euicc_data*) */
	ESIM_EIM_PACKAGE_RESULT_DOWNLOAD_TRIGGER,         /* BF54 (esim_esipa_build_profile_download_*) */
	ESIM_EIM_PACKAGE_RESULT_ERROR,                    /* A0 { 80 eimTransactionId OPT, 02 code } */
} EsimEimPackageResultKind;

/* EimPackageResult: what the IPA answers a package with.  Caller-owned; the
 * TLVs are checked for their tags and copied unchanged. */
typedef struct {
	EsimEimPackageResultKind kind;
	GBytes      *euicc_package_result;  /* EPR kinds: the card's BF51 (A0/A1/A2 alternative) */
	GPtrArray   *notifications;         /* EPR_AND_NOTIFICATIONS: GBytes* PendingNotification
	                                     * TLVs (BF37, 30, or a compact A0/A1) */
	GBytes      *ipa_euicc_data_response;          /* IPA_EUICC_DATA: BF52 */
	GBytes      *profile_download_trigger_result;  /* DOWNLOAD_TRIGGER: BF54 */
	gint         error_code;            /* ERROR: ESIM_EIM_PACKAGE_RESULT_INVALID_FORMAT… */
	const gchar *eim_transaction_id;    /* ERROR: hex of the package's; NULL = left out */
} EsimEimPackageResult;

/* GetEimPackageRequest (BF4F). */
GBytes *esim_esipa_encode_get_eim_package (const EsimGetEimPackageRequest *request, GError **error);
/* The EimPackageResult CHOICE alone (BF51, 30, BF52, BF54 or A0): what the
 * JSON binding sends in base64. */
GBytes *esim_esipa_encode_eim_package_result (const EsimEimPackageResult *result, GError **error);
/* ProvideEimPackageResult (BF50 { 5A eidValue OPT, EimPackageResult }); @eid nullable. */
GBytes *esim_esipa_encode_provide_eim_package_result (const gchar *eid,
                                                      const EsimEimPackageResult *result,
                                                      GError **error);
/* HandleNotificationEsipa: BF3D { A0 { <PendingNotification as the card gave it> } }. */
GBytes *esim_esipa_encode_handle_notification (GBytes *pending_notification, GError **error);
/* HandleNotificationEsipa carrying a result: BF3D { BF50 … }. */
GBytes *esim_esipa_encode_handle_notification_result (const gchar *eid,
                                                      const EsimEimPackageResult *result,
                                                      GError **error);

/* The download relay.  InitiateAuthenticationRequestEsipa: BF39 { 81
 * euiccChallenge (16 bytes), 83 smdpAddress OPT, BF20 euiccInfo1 OPT, 82
 * eimTransactionId OPT } (euiccInfo1 may be left out only with
 * minimizeEsipaBytes). */
GBytes *esim_esipa_encode_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                                   const gchar *smdp_address,
                                                   const gchar *eim_transaction_id,
                                                   GError **error);
/* BF3B { 80 transactionId, <the card's BF38> }. */
GBytes *esim_esipa_encode_authenticate_client (const gchar *transaction_id,
                                               GBytes *authenticate_server_response,
                                               GError **error);
/* BF3A { 80 transactionId, <the card's BF21> }. */
GBytes *esim_esipa_encode_get_bound_profile_package (const gchar *transaction_id,
                                                     GBytes *prepare_download_response,
                                                     GError **error);
/* BF41 { 80 transactionId, A1 <the contents of the card's BF41> }: both members
 * are untagged in the module, so automatic tags apply and [1] replaces the
 * card's [65] (digest §3.2). */
GBytes *esim_esipa_encode_cancel_session (const gchar *transaction_id,
                                          GBytes *cancel_session_response, GError **error);

/* TransferEimPackageResponse (BF4E), the IPA's answer to a pushed package. */
typedef enum {
	ESIM_TRANSFER_RESPONSE_RESULT = 0,  /* @result: EPR, EPR_AND_NOTIFICATIONS or IPA_EUICC_DATA */
	ESIM_TRANSFER_RESPONSE_RECEIVED,    /* eimPackageReceived: the result follows later */
	ESIM_TRANSFER_RESPONSE_ERROR,       /* eimPackageError (EimPackageResultErrorCode) */
} EsimTransferResponseKind;

typedef struct {
	EsimTransferResponseKind     kind;
	const EsimEimPackageResult  *result;
	gint                         error_code;
	/* RECEIVED / ERROR "WithCid" (BF60 / BF61): the correlation the eIM gets
	 * back, its eimTransactionId if the package had one, else the EID. */
	gboolean                     with_cid;
	const gchar                 *eim_transaction_id;  /* hex */
	const gchar                 *eid;                 /* 32 digits; used without a transaction ID */
} EsimTransferEimPackageResponse;

GBytes *esim_esipa_encode_transfer_eim_package_response (const EsimTransferEimPackageResponse *response,
                                                         GError **error);

/* ---- what the IPA builds for an ipaEuiccDataRequest ---- */

/* IpaEuiccData: each member is sent when set (NULL / FALSE = left out), in
 * the module's order; the card's TLVs go unchanged, certificates are given as
 * DER X.509 (30 …) and sent under their implicit A5/A6. */
typedef struct {
	GPtrArray            *notifications;         /* A0: GBytes* PendingNotification TLVs */
	const gchar          *default_smdp_address;  /* 81 */
	GPtrArray            *euicc_package_results; /* A2: GBytes* BF51 */
	GBytes               *euicc_info1;           /* BF20 */
	GBytes               *euicc_info2;           /* BF22 */
	const gchar          *root_smds_address;     /* 83 */
	gboolean              has_association_token; /* 84 */
	gint64                association_token;
	GBytes               *eum_certificate;       /* A5 */
	GBytes               *euicc_certificate;     /* A6 */
	const gchar          *eim_transaction_id;    /* 87: hex, echoed from the request */
	gboolean              has_ipa_capabilities;  /* A8 */
	guint                 ipa_features;          /* EsimIpaFeatures */
	guint                 ipa_protocols;         /* EsimIpaProtocols; 0 = left out */
	const EsimDeviceInfo *device_info;           /* A9 (esim_device_info_encode) */
} EsimIpaEuiccData;

/* IpaEuiccDataResponse: BF52 { A0 { IpaEuiccData } }. */
GBytes *esim_esipa_build_ipa_euicc_data (const EsimIpaEuiccData *data, GError **error);
/* IpaEuiccDataResponse error: BF52 { A1 { 80 eimTransactionId OPT, 02 code } }
 * (ESIM_IPA_EUICC_DATA_INCORRECT_TAG_LIST…). */
GBytes *esim_esipa_build_ipa_euicc_data_error (const gchar *eim_transaction_id, gint code,
                                               GError **error);
/* IpaCapabilities as IpaEuiccData carries it: A8 { 80 ipaFeatures, 81 ipaSupportedProtocols OPT }. */
GBytes *esim_esipa_build_ipa_capabilities (guint features, guint protocols);
/* ProfileDownloadTriggerResult: BF54 { 82 eimTransactionId OPT, <the card's BF37> }. */
GBytes *esim_esipa_build_download_trigger_result (const gchar *eim_transaction_id,
                                                  GBytes *profile_installation_result,
                                                  GError **error);
/* … or BF54 { 82 OPT, 30 { 80 profileDownloadErrorReason, 04 errorResponse OPT } }
 * (reason ESIM_ESIPA_ECALL_ACTIVE or ESIM_ESIPA_UNDEFINED_ERROR). */
GBytes *esim_esipa_build_download_trigger_error (const gchar *eim_transaction_id, gint reason,
                                                 GBytes *error_response, GError **error);

G_END_DECLS
