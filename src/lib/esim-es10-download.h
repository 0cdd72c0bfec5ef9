/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10b calls of a profile download (SGP.22 v2.5 §3.1.3 and §5.7; SGP.32 v1.2
 * §5.9 keeps them): GetEuiccChallenge, AuthenticateServer, PrepareDownload,
 * LoadBoundProfilePackage and CancelSession, plus read-only decoders of the
 * server structures the download flow has to check (ServerSigned1,
 * SmdpSigned2, StoreMetadataRequest).
 *
 * Same shape as esim-es10.h: pure encoders, pure parsers, async calls over an
 * open EsimIsdr.  What the SM-DP+ signed goes to the card as the raw TLV it
 * came as, and what the card signed comes back as its raw TLV (raw) for the
 * server: nothing signed is ever decoded and re-encoded.
 *
 * Errors: bad arguments are G_IO_ERROR_INVALID_ARGUMENT and nothing is sent;
 * an answer we cannot decode is ESIM_DER_ERROR; the card's error alternative
 * is ESIM_ES10_ERROR whose message names the SGP.22 code, e.g.
 * "AuthenticateServer: ciPKUnknown (7), transaction 0123…".
 */
#pragma once

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-tags.h"

G_BEGIN_DECLS

/* ---- DeviceInfo (SGP.22 §4.2, ctxParams1 of AuthenticateServer) ---- */

/* DeviceCapabilities members; the value is the context tag number. */
typedef enum {
	ESIM_DEVICE_CAP_GSM            = 0,
	ESIM_DEVICE_CAP_UTRAN          = 1,
	ESIM_DEVICE_CAP_CDMA2000_1X    = 2,
	ESIM_DEVICE_CAP_CDMA2000_HRPD  = 3,
	ESIM_DEVICE_CAP_CDMA2000_EHRPD = 4,
	ESIM_DEVICE_CAP_EUTRAN_EPC     = 5,
	ESIM_DEVICE_CAP_CONTACTLESS    = 6,
	ESIM_DEVICE_CAP_RSP_CRL        = 7,
	ESIM_DEVICE_CAP_NR_EPC         = 8,
	ESIM_DEVICE_CAP_NR_5GC         = 9,
	ESIM_DEVICE_CAP_EUTRAN_5GC     = 10,
	ESIM_DEVICE_CAP_COUNT          = 11,
} EsimDeviceCapability;

/* Radio access technologies, as ModemManager reports a modem's capabilities. */
typedef enum {
	ESIM_DEVICE_RADIO_GSM  = 1 << 0,
	ESIM_DEVICE_RADIO_UMTS = 1 << 1,
	ESIM_DEVICE_RADIO_LTE  = 1 << 2,
	ESIM_DEVICE_RADIO_NR   = 1 << 3,
} EsimDeviceRadio;

/* The TAC sent when the device has none we could learn: a software eUICC, a
 * PC/SC reader, a modem that does not tell its IMEI.  All zeros is not an
 * allocated TAC, so it claims no device model; nothing is invented. */
#define ESIM_DEVICE_TAC_NONE "00000000"

/*
 * What the device says about itself.  Caller-owned strings; initialise with
 * esim_device_info_init().  TAC and IMEI are sent as SGP.22 v2.1+ §4.2 codes
 * them, as Android does (AOSP EuiccPort.getDeviceId, which quotes the clause):
 * TBCD (3GPP TS 29.002: first digit in the low nibble), except that the
 * IMEI's last octet holds the check digit in the high nibble and an F filler
 * in the low one; the TAC is the IMEI's first four octets.
 */
typedef struct {
	const gchar *tac;   /* 8 decimal digits; NULL = the IMEI's first 8, or
	                     * ESIM_DEVICE_TAC_NONE without an IMEI */
	const gchar *imei;  /* 15 decimal digits (with check digit); NULL = left out */
	/* VersionType per capability, sent as { release, 0, 0 } (AOSP's coding);
	 * 0 = not declared.  Nothing declared = empty DeviceCapabilities (A1 00),
	 * as onomondo-ipa sends for an IoT device (vectors.md V15). */
	guint8 releases[ESIM_DEVICE_CAP_COUNT];
} EsimDeviceInfo;

void    esim_device_info_init (EsimDeviceInfo *info);
/*
 * Declares the releases of the radios a modem has, as lower bounds: release 8
 * (the release that brought LTE/EPC; every modem that also speaks GSM or UMTS
 * next to it implements that generation) for GSM, UTRAN and E-UTRAN/EPC, and
 * release 15 (the first NR release) for NR with a 5GC.  Understating is the
 * safe side: the SM-DP+ only uses these to judge what the device can run.
 */
void    esim_device_info_declare_radios (EsimDeviceInfo *info, guint radios);
/* DeviceInfo as a TLV with @tag: A1 inside ctxParams1, 30 standalone, A9 in
 * SGP.32 IpaEuiccData. */
GBytes *esim_device_info_encode (const EsimDeviceInfo *info, EsimTag tag, GError **error);

/* ---- GetEuiccChallenge (BF2E) ---- */

GBytes *esim_es10_encode_get_euicc_challenge (void);
/* The 16-byte euiccChallenge. */
GBytes *esim_es10_parse_get_euicc_challenge (GBytes *response, GError **error);

/* ---- read-only decoders of server structures (never re-encoded) ---- */

/* ServerSigned1 (30), from ES9+ initiateAuthentication.  The flow checks
 * euicc_challenge against the one the card gave and server_address against
 * the activation code before the card sees it. */
typedef struct {
	gchar  *transaction_id;    /* upper-case hex */
	GBytes *euicc_challenge;   /* 16 bytes */
	gchar  *server_address;
	GBytes *server_challenge;  /* 16 bytes */
} EsimServerSigned1;

void esim_server_signed1_free (EsimServerSigned1 *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimServerSigned1, esim_server_signed1_free)
EsimServerSigned1 *esim_es10_parse_server_signed1 (GBytes *server_signed1, GError **error);

/* SmdpSigned2 (30), from ES9+ authenticateClient: whether the SM-DP+ wants a
 * confirmation code. */
typedef struct {
	gchar    *transaction_id;      /* upper-case hex */
	gboolean  cc_required;         /* ccRequiredFlag */
	gboolean  has_bpp_euicc_otpk;  /* bppEuiccOtpk present: a profile bound in advance */
} EsimSmdpSigned2;

void esim_smdp_signed2_free (EsimSmdpSigned2 *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimSmdpSigned2, esim_smdp_signed2_free)
EsimSmdpSigned2 *esim_es10_parse_smdp_signed2 (GBytes *smdp_signed2, GError **error);

/* One NotificationConfigurationInformation of the profile metadata. */
typedef struct {
	guint  events;   /* EsimNotificationEvent mask */
	gchar *address;  /* notificationAddress */
} EsimNotificationConfig;

/* StoreMetadataRequest (BF25), from ES9+ authenticateClient (profileMetadata)
 * or inside the bound profile package: what is about to be installed.  Unknown
 * and SGP.32-only members are skipped. */
typedef struct {
	gchar            *iccid;
	gchar            *service_provider;   /* serviceProviderName */
	gchar            *name;               /* profileName */
	EsimProfileClass  profile_class;      /* DEFAULT operational */
	gint              icon_type;          /* -1 absent, 0 jpg, 1 png */
	GPtrArray        *notification_configs; /* EsimNotificationConfig* */
	guint32           ppr_ids;            /* profilePolicyRules named bits, 0 if absent */
	GBytes           *raw;                /* the BF25 TLV */
} EsimProfileMetadata;

void esim_profile_metadata_free (EsimProfileMetadata *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProfileMetadata, esim_profile_metadata_free)
EsimProfileMetadata *esim_es10_parse_profile_metadata (GBytes *store_metadata_request, GError **error);

/* ---- AuthenticateServer (BF38) ---- */

/* The four TLVs of ES9+ initiateAuthentication exactly as the server sent
 * them (each must be one TLV with its tag: 30, 5F37, 04, 30), and ctxParams1. */
typedef struct {
	GBytes               *server_signed1;
	GBytes               *server_signature1;
	GBytes               *euicc_ci_pkid_to_be_used;
	GBytes               *server_certificate;
	const gchar          *matching_id;  /* NULL = left out; "" = sent empty */
	const EsimDeviceInfo *device_info;  /* NULL = esim_device_info_init() defaults */
	/* The eIM's CtxParams1 (A0 …) from InitiateAuthenticationOkEsipa when the
	 * eIM generates it (SGP.32 ipaFeatures eimCtxParams1Generation): sent as
	 * it came, instead of the one built from matching_id and device_info. */
	GBytes               *ctx_params1;
} EsimAuthenticateServerInput;

typedef struct {
	gchar  *transaction_id;    /* euiccSigned1.transactionId, upper-case hex */
	gchar  *server_address;    /* euiccSigned1.serverAddress */
	GBytes *raw;               /* the whole BF38 for ES9+ authenticateClient */
} EsimAuthenticateServerOk;

void esim_authenticate_server_ok_free (EsimAuthenticateServerOk *ok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimAuthenticateServerOk, esim_authenticate_server_ok_free)

GBytes *esim_es10_encode_authenticate_server (const EsimAuthenticateServerInput *input, GError **error);
/* On authenticateResponseError fails with ESIM_ES10_ERROR and, if
 * @error_response is non-NULL, hands out the card's BF38 as it came, for a
 * flow that tells the server (SM-DP+s take the error alternative in
 * authenticateClient: osmocom pysim osmo-smdpp.py). */
EsimAuthenticateServerOk *esim_es10_parse_authenticate_server (GBytes *response, GBytes **error_response,
                                                              GError **error);

/* ---- PrepareDownload (BF21) ---- */

/* hashCc = SHA-256(SHA-256(confirmation code) ‖ transactionId bytes), the
 * SGP.22 hashed confirmation code as estkme-group/lpac euicc/es10b.c
 * es10b_prepare_download computes it (the transaction ID as bytes, not hex).  The code is a secret: never logged.  Returns the
 * 32-byte hash. */
GBytes *esim_es10_compute_hash_cc (const gchar *confirmation_code, const gchar *transaction_id,
                                   GError **error);

/* The TLVs of ES9+ authenticateClient as the server sent them (30, 5F37, 30);
 * hash_cc is the 32-byte value (esim_es10_compute_hash_cc()).  Sent in the
 * order of the ASN.1: smdpSigned2, smdpSignature2, hashCc, smdpCertificate.
 * A request without hash_cc for an smdpSigned2 whose ccRequiredFlag is set is
 * refused (G_IO_ERROR_INVALID_ARGUMENT) before the card sees it. */
typedef struct {
	GBytes *smdp_signed2;
	GBytes *smdp_signature2;
	GBytes *hash_cc;           /* NULL = no confirmation code */
	GBytes *smdp_certificate;
} EsimPrepareDownloadInput;

typedef struct {
	gchar  *transaction_id;    /* euiccSigned2.transactionId, upper-case hex */
	GBytes *raw;               /* the whole BF21 for ES9+ getBoundProfilePackage */
} EsimPrepareDownloadOk;

void esim_prepare_download_ok_free (EsimPrepareDownloadOk *ok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimPrepareDownloadOk, esim_prepare_download_ok_free)

GBytes *esim_es10_encode_prepare_download (const EsimPrepareDownloadInput *input, GError **error);
/* As esim_es10_parse_authenticate_server() for downloadResponseError. */
EsimPrepareDownloadOk *esim_es10_parse_prepare_download (GBytes *response, GBytes **error_response,
                                                        GError **error);

/* ---- LoadBoundProfilePackage (BF36 in segments) ---- */

/*
 * The STORE DATA sequences a bound profile package is sent as (SGP.22 §2.5.5;
 * lpac es10b_load_bound_profile_package, AOSP EuiccPort.loadBoundProfilePackage):
 * the BF36 header with the whole BF23; the whole A0; the A1 header, then each
 * 88; the whole A2 if present; the A3 header, then each 86.  Each segment is
 * one ES10 request for EsimIsdr, so it costs ⌈bytes/255⌉ STORE DATA commands.
 * Segments point into @bpp (no copy).
 *
 * A package that is not exactly this structure is refused before anything is
 * sent (SGP.22 §3.1.3.3: the LPA rejects a package it cannot segment, then
 * cancels the session with loadBppExecutionError): a missing or unknown
 * member, members out of order, a wrong item tag, trailing bytes, no 87 in A0,
 * no 88 in A1, no 86 in A3 (SGP.23 4.4.25.2.1_03 and _05 as AOSP cites them),
 * more than ESIM_BPP_MAX_SEGMENTS segments, or a segment longer than EsimIsdr
 * can send (ESIM_STORE_DATA_MAX_BLOCKS blocks).
 */
GPtrArray *esim_es10_segment_bound_profile_package (GBytes *bpp, GError **error); /* GBytes* */
/* The least number of STORE DATA commands for @segments: Σ ⌈len/255⌉. */
guint      esim_es10_store_data_minimum (GPtrArray *segments);

typedef enum {
	ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL = 0,
	ESIM_BPP_COMMAND_CONFIGURE_ISDP            = 1,
	ESIM_BPP_COMMAND_STORE_METADATA            = 2,
	ESIM_BPP_COMMAND_STORE_METADATA2           = 3,
	ESIM_BPP_COMMAND_REPLACE_SESSION_KEYS      = 4,
	ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS     = 5,
} EsimBppCommandId;

const gchar *esim_bpp_command_id_to_string (gint command_id);     /* "storeMetadata"; "unknown" */
const gchar *esim_install_error_reason_to_string (gint reason);   /* SGP.22 ErrorReason name; "unknown" */

/* ProfileInstallationResult (BF37), the card's signed answer to the package
 * and the install notification that goes to notificationAddress unchanged. */
typedef struct {
	gchar                   *transaction_id;  /* upper-case hex */
	EsimNotificationMetadata meta;            /* seqNumber, install, notificationAddress, ICCID */
	gchar                   *smdp_oid;        /* dotted, e.g. "2.999.10" */
	gboolean                 success;         /* finalResult is successResult */
	gchar                   *isdp_aid;        /* successResult aid, upper-case hex; NULL on error */
	gint                     bpp_command_id;  /* errorResult; -1 on success */
	gint                     error_reason;    /* errorResult ErrorReason; 0 on success */
	GBytes                  *sima_response;   /* simaResponse value; NULL if absent */
	GBytes                  *raw;             /* the whole BF37 */
} EsimProfileInstallationResult;

void esim_profile_installation_result_free (EsimProfileInstallationResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProfileInstallationResult, esim_profile_installation_result_free)
EsimProfileInstallationResult *esim_es10_parse_profile_installation_result (GBytes *response,
                                                                          GError **error);
/* TRUE for a successResult; else ESIM_ES10_ERROR naming the reason and the
 * command, e.g. "LoadBoundProfilePackage: installFailedDueToIccidAlreadyExistsOnEuicc
 * (9) in storeMetadata (2)". */
gboolean esim_profile_installation_result_check (const EsimProfileInstallationResult *result,
                                                 GError **error);

/* Called after each segment the card took: @done of @total. */
typedef void (*EsimBppProgressFunc) (guint done, guint total, gpointer user_data);

/* ---- CancelSession (BF41) ---- */

typedef enum {
	ESIM_CANCEL_SESSION_END_USER_REJECTION       = 0,
	ESIM_CANCEL_SESSION_POSTPONED                = 1,
	ESIM_CANCEL_SESSION_TIMEOUT                  = 2,
	ESIM_CANCEL_SESSION_PPR_NOT_ALLOWED          = 3,
	ESIM_CANCEL_SESSION_METADATA_MISMATCH        = 4,
	ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR = 5,
	ESIM_CANCEL_SESSION_UNDEFINED                = 127,
} EsimCancelSessionReason;

const gchar *esim_cancel_session_reason_to_string (gint reason); /* "postponed"; "unknown" */

/* cancelSessionResponseOk: signed by the card, goes to ES9+ cancelSession unchanged. */
typedef struct {
	gchar  *transaction_id;    /* euiccCancelSessionSigned.transactionId, upper-case hex */
	gchar  *smdp_oid;          /* dotted */
	gint    reason;            /* EsimCancelSessionReason the card signed */
	GBytes *raw;               /* the whole BF41 */
} EsimCancelSessionOk;

void esim_cancel_session_ok_free (EsimCancelSessionOk *ok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimCancelSessionOk, esim_cancel_session_ok_free)

GBytes *esim_es10_encode_cancel_session (const gchar *transaction_id, EsimCancelSessionReason reason,
                                         GError **error);
EsimCancelSessionOk *esim_es10_parse_cancel_session (GBytes *response, GError **error);

/* ---- async calls over an open EsimIsdr ---- */

void     esim_es10_get_euicc_challenge (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
GBytes  *esim_es10_get_euicc_challenge_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void     esim_es10_authenticate_server (EsimIsdr *isdr, const EsimAuthenticateServerInput *input,
                                        ESIM_ES10_ASYNC_ARGS);
EsimAuthenticateServerOk *esim_es10_authenticate_server_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                               GBytes **error_response,
                                                               GError **error);
void     esim_es10_prepare_download (EsimIsdr *isdr, const EsimPrepareDownloadInput *input,
                                     ESIM_ES10_ASYNC_ARGS);
EsimPrepareDownloadOk *esim_es10_prepare_download_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                         GBytes **error_response, GError **error);
/* Sends the segments in order, stopping at the first that the card answers
 * with data (the ProfileInstallationResult, early on a failure).  Returns the
 * result whether the install succeeded or not (check it with
 * esim_profile_installation_result_check()); a GError means no result: a
 * package refused before sending, a transport or status-word failure (named
 * with the segment), an answer that is no BF37, or no answer after the last
 * segment.  @progress (nullable) runs after every segment. */
void     esim_es10_load_bound_profile_package (EsimIsdr *isdr, GBytes *bpp,
                                               EsimBppProgressFunc progress, gpointer progress_data,
                                               ESIM_ES10_ASYNC_ARGS);
EsimProfileInstallationResult *esim_es10_load_bound_profile_package_finish (EsimIsdr *isdr,
                                                                           GAsyncResult *res,
                                                                           GError **error);
void     esim_es10_cancel_session (EsimIsdr *isdr, const gchar *transaction_id,
                                   EsimCancelSessionReason reason, ESIM_ES10_ASYNC_ARGS);
EsimCancelSessionOk *esim_es10_cancel_session_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                     GError **error);

G_END_DECLS
