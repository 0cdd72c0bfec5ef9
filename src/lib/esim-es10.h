/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10a/b/c: typed calls to the ISD-R (SGP.22 v2.5 and SGP.32 v1.2).
 *
 * Every function has three parts:
 *   esim_es10_encode_X ()   the request TLV (pure; tested against vectors);
 *   esim_es10_parse_X ()    the response TLV -> typed result or GError (pure;
 *                           tested against real-card vectors, fuzzed);
 *   esim_es10_X () / _finish ()  the async call over an open EsimIsdr.
 * A non-ok result code from the card becomes ESIM_ES10_ERROR (esim-error.h);
 * an answer we cannot decode becomes ESIM_DER_ERROR.
 * Results keep the raw TLV (raw) wherever the card signed it or where a later
 * layer may have to forward it unchanged.
 */
#pragma once

#include <gio/gio.h>
#include "esim-apdu.h"
#include "esim-error.h"

G_BEGIN_DECLS

/* Which encoding a card speaks for the functions that differ. */
typedef enum {
	ESIM_ES10_VARIANT_SGP32 = 0,  /* IoT eUICC (SGP.32 v1.2): BF64 memory reset, BF65 default DP */
	ESIM_ES10_VARIANT_SGP22 = 1,  /* consumer eUICC: BF34 memory reset, BF3F default DP */
} EsimEs10Variant;

typedef enum {
	ESIM_PROFILE_STATE_DISABLED = 0,
	ESIM_PROFILE_STATE_ENABLED  = 1,
} EsimProfileState;

typedef enum {
	ESIM_PROFILE_CLASS_UNKNOWN      = -1,
	ESIM_PROFILE_CLASS_TEST         = 0,
	ESIM_PROFILE_CLASS_PROVISIONING = 1,
	ESIM_PROFILE_CLASS_OPERATIONAL  = 2,
} EsimProfileClass;

const gchar *esim_profile_state_to_string (EsimProfileState state);   /* "enabled" / "disabled" */
const gchar *esim_profile_class_to_string (EsimProfileClass klass);   /* "test", "provisioning", "operational", "unknown" */

/* ProfileInfo (E3).  Unknown fields are skipped; raw holds the whole E3 TLV. */
typedef struct {
	gchar            *iccid;            /* decimal digits, pad removed; NULL if absent */
	gchar            *isdp_aid;         /* upper-case hex; NULL if absent */
	EsimProfileState  state;
	gchar            *nickname;         /* NULL if absent */
	gchar            *service_provider; /* NULL if absent */
	gchar            *name;             /* NULL if absent */
	EsimProfileClass  profile_class;    /* DEFAULT operational when absent */
	gboolean          fallback_attribute; /* value of 9F26 (DEFAULT FALSE) */
	gboolean          fallback_allowed;   /* value of 9F67 BOOLEAN; FALSE when absent */
	GBytes           *raw;
} EsimProfileInfo;

void esim_profile_info_free (EsimProfileInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProfileInfo, esim_profile_info_free)

typedef struct {
	gchar     *svn;                     /* "2.2.2" */
	GPtrArray *ci_pkids_verification;   /* gchar* upper-case hex */
	GPtrArray *ci_pkids_signing;        /* gchar* upper-case hex */
	GBytes    *raw;                     /* BF20 TLV */
} EsimEuiccInfo1;

void esim_euicc_info1_free (EsimEuiccInfo1 *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEuiccInfo1, esim_euicc_info1_free)

typedef struct {
	gchar     *profile_version;          /* "2.1.0" */
	gchar     *svn;
	gchar     *firmware_version;
	gint64     installed_applications;   /* -1 if unknown */
	gint64     free_nvm;                 /* bytes, -1 if unknown */
	gint64     free_ram;                 /* bytes, -1 if unknown */
	gchar     *ts102241_version;         /* NULL if absent */
	gchar     *gp_version;               /* NULL if absent */
	gchar     *pp_version;
	gchar     *sas_accreditation_number;
	GPtrArray *ci_pkids_verification;    /* gchar* hex */
	GPtrArray *ci_pkids_signing;         /* gchar* hex */
	gint       ipa_mode;                 /* -1 absent, 0 ipad, 1 ipae (SGP.32 ipaMode [16]) */
	gboolean   has_iot_specific_info;    /* SGP.32 iotSpecificInfo [20] present */
	GPtrArray *iot_versions;             /* gchar* "1.2.0" */
	gboolean   ecall_supported;
	gboolean   fallback_supported;
	GBytes    *raw;                      /* BF22 TLV */
} EsimEuiccInfo2;

void esim_euicc_info2_free (EsimEuiccInfo2 *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEuiccInfo2, esim_euicc_info2_free)

/* NotificationEvent bits of profileManagementOperation. */
typedef enum {
	ESIM_NOTIFICATION_INSTALL = 1 << 0,
	ESIM_NOTIFICATION_ENABLE  = 1 << 1,
	ESIM_NOTIFICATION_DISABLE = 1 << 2,
	ESIM_NOTIFICATION_DELETE  = 1 << 3,
} EsimNotificationEvent;

const gchar *esim_notification_event_to_string (guint events); /* "install", "enable", … (first set bit) */

typedef struct {
	guint64  seq_number;
	guint    events;      /* EsimNotificationEvent mask */
	gchar   *address;     /* notificationAddress (FQDN) */
	gchar   *iccid;       /* NULL if absent */
} EsimNotificationMetadata;

void esim_notification_metadata_free (EsimNotificationMetadata *meta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimNotificationMetadata, esim_notification_metadata_free)

/* One PendingNotification from RetrieveNotificationsList: metadata decoded for
 * routing, raw = the PendingNotification TLV exactly as the card sent it
 * (BF37 ProfileInstallationResult, 30 OtherSignedNotification, or a compact form). */
typedef struct {
	EsimNotificationMetadata meta;
	GBytes                  *raw;
} EsimPendingNotification;

void esim_pending_notification_free (EsimPendingNotification *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimPendingNotification, esim_pending_notification_free)

/* RetrieveNotificationsList search criteria. */
typedef enum {
	ESIM_NOTIFICATION_SEARCH_ALL,
	ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER,        /* [0] seqNumber */
	ESIM_NOTIFICATION_SEARCH_OPERATION,         /* [1] profileManagementOperation */
	ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, /* [2] NULL (SGP.32) */
} EsimNotificationSearch;

typedef struct {
	GPtrArray *notifications;   /* EsimPendingNotification* (notificationList A0) */
	GPtrArray *package_results; /* GBytes* raw BF51 EuiccPackageResult (euiccPackageResultList A2) */
} EsimNotificationList;

void esim_notification_list_free (EsimNotificationList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimNotificationList, esim_notification_list_free)

typedef struct {
	gchar *default_dp_address;  /* NULL if absent */
	gchar *root_ds_address;     /* NULL if absent */
} EsimConfiguredAddresses;

void esim_configured_addresses_free (EsimConfiguredAddresses *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimConfiguredAddresses, esim_configured_addresses_free)

/* ProfilePolicyAuthorisationRule from GetRAT (BF43). */
typedef struct {
	guint32 ppr_ids;         /* PprIds named bit n -> (1 << n): bit 0 = pprUpdateControl,
	                          * bit 1 = ppr1, bit 2 = ppr2 */
	guint   n_allowed_operators;
	guint32 ppr_flags;       /* bit 0 = consentRequired */
} EsimRatRule;

typedef struct {
	GBytes *eum_certificate;    /* DER X.509 */
	GBytes *euicc_certificate;  /* DER X.509 */
} EsimCerts;

void esim_certs_free (EsimCerts *certs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimCerts, esim_certs_free)

/* EimConfigurationData (SGP.32 v1.2 §4). */
typedef enum {
	ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS = 1 << 0,
	ESIM_EIM_PROTOCOL_RETRIEVE_COAPS = 1 << 1,
	ESIM_EIM_PROTOCOL_INJECT_HTTPS   = 1 << 2,
	ESIM_EIM_PROTOCOL_INJECT_COAPS   = 1 << 3,
	ESIM_EIM_PROTOCOL_PROPRIETARY    = 1 << 4,
} EsimEimProtocols;

/* The alternatives of eimPublicKeyData [5] and trustedPublicKeyDataTls [6]. */
typedef enum {
	ESIM_EIM_KEY_NONE = 0,
	ESIM_EIM_KEY_PUBLIC_KEY,   /* [0] SubjectPublicKeyInfo (a pinned key) */
	ESIM_EIM_KEY_CERTIFICATE,  /* [1] Certificate (the eIM's, or for TLS also a CA's) */
} EsimEimKeyKind;

typedef struct {
	gchar    *eim_id;
	gchar    *fqdn;                /* host[:port]; NULL if absent */
	gint      id_type;             /* -1 absent, 1 oid, 2 fqdn, 3 proprietary */
	gint64    counter_value;       /* -1 absent */
	gboolean  has_association_token;
	gint64    association_token;
	guint     supported_protocols; /* EsimEimProtocols mask; 0 if absent */
	gboolean  indirect_profile_download;
	gchar    *euicc_ci_pkid;       /* hex; NULL if absent */
	GBytes   *public_key_data;     /* raw A5 TLV; NULL if absent */
	GBytes   *trusted_tls_data;    /* raw A6 TLV; NULL if absent */
	/* the same two decoded: their alternative, and its value as plain DER
	 * (30 …, the SubjectPublicKeyInfo or X.509 certificate) for TLS and ECDSA */
	EsimEimKeyKind public_key_kind;
	GBytes   *public_key;
	EsimEimKeyKind trusted_tls_kind;
	GBytes   *trusted_tls;
	GBytes   *raw;                 /* the 30 TLV */
} EsimEimConfig;

void esim_eim_config_free (EsimEimConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEimConfig, esim_eim_config_free)

/*
 * EimConfigurationData from fields (`esimcli eim add` with options; AddInitialEim).
 * The keys are a file's contents, PEM or DER, a public key or a certificate,
 * and go into the alternative that fits: A5 { A0 <SubjectPublicKeyInfo
 * contents> } or A5 { A1 <Certificate contents> } (implicit, digest §4; V16).
 */
typedef struct {
	const gchar *eim_id;                /* 1–128 bytes of UTF-8 */
	const gchar *fqdn;                  /* eimFqdn, host[:port]; NULL = left out */
	gint         id_type;               /* 1 oid, 2 fqdn, 3 proprietary; -1 = left out */
	gint64       counter_value;         /* initial replay counter ≥ 0; -1 = left out */
	gboolean     has_association_token;
	gint64       association_token;
	GBytes      *public_key;            /* eimPublicKeyData: PEM or DER; NULL = left out */
	GBytes      *trusted_tls;           /* trustedPublicKeyDataTls: PEM or DER; NULL = left out */
	guint        supported_protocols;   /* EsimEimProtocols; 0 = left out */
	const gchar *euicc_ci_pkid;         /* euiccCiPKId as hex; NULL = left out */
	gboolean     indirect_profile_download;
} EsimEimConfigInput;

/* The EimConfigurationData (30 …); bad fields are G_IO_ERROR_INVALID_ARGUMENT
 * naming the field.  esim_es10_encode_add_initial_eim() wraps it. */
GBytes *esim_es10_encode_eim_config (const EsimEimConfigInput *input, GError **error);
/* A key or certificate file's contents (one PEM block "PUBLIC KEY" or
 * "CERTIFICATE", or DER) -> its DER and which of the two it is. */
GBytes *esim_eim_key_from_data (GBytes *data, EsimEimKeyKind *kind, GError **error);

/* AddInitialEim result per eIM, in request order. */
typedef struct {
	gboolean has_association_token; /* FALSE: addOk */
	gint64   association_token;
} EsimAddEimResult;

/* eUICCMemoryReset options (SGP.32 v1.2 BF64 bit numbers; for SGP.22 BF34 only
 * bits 0–2 are sent). */
typedef enum {
	ESIM_RESET_DELETE_OPERATIONAL_PROFILES       = 1 << 0,
	ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES = 1 << 1,
	ESIM_RESET_DEFAULT_SMDP_ADDRESS              = 1 << 2,
	ESIM_RESET_DELETE_PRELOADED_TEST_PROFILES    = 1 << 3,
	ESIM_RESET_DELETE_PROVISIONING_PROFILES      = 1 << 4,
	ESIM_RESET_EIM_CONFIG_DATA                   = 1 << 5,
	ESIM_RESET_IMMEDIATE_ENABLE_CONFIG           = 1 << 6,
} EsimResetOptions;

/* Search criteria for GetProfilesInfo: at most one of iccid / isdp_aid /
 * profile_class (class < 0 = none).  tag_list NULL = the card's default set. */
typedef struct {
	const gchar     *iccid;
	const gchar     *isdp_aid;      /* hex */
	EsimProfileClass profile_class; /* ESIM_PROFILE_CLASS_UNKNOWN = no class criterion */
	GBytes          *tag_list;      /* raw tag bytes for 5C, e.g. 5A 4F 9F70 */
} EsimProfileSearch;

/* ---- pure encoders: return the request TLV ---- */
GBytes *esim_es10_encode_get_eid (void);
GBytes *esim_es10_encode_get_euicc_info1 (void);
GBytes *esim_es10_encode_get_euicc_info2 (void);
GBytes *esim_es10_encode_get_profiles_info (const EsimProfileSearch *search /* nullable */, GError **error);
GBytes *esim_es10_encode_enable_profile (const gchar *iccid, gboolean refresh, GError **error);
GBytes *esim_es10_encode_disable_profile (const gchar *iccid, gboolean refresh, GError **error);
GBytes *esim_es10_encode_delete_profile (const gchar *iccid, GError **error);
GBytes *esim_es10_encode_set_nickname (const gchar *iccid, const gchar *nickname, GError **error); /* nickname ≤ 64 bytes */
GBytes *esim_es10_encode_memory_reset (EsimEs10Variant variant, guint options);
GBytes *esim_es10_encode_list_notification (guint events /* 0 = all */);
GBytes *esim_es10_encode_retrieve_notifications_list (EsimNotificationSearch search, guint64 value);
GBytes *esim_es10_encode_remove_notification (guint64 seq_number);
GBytes *esim_es10_encode_get_configured_addresses (void);
GBytes *esim_es10_encode_set_default_dp_address (EsimEs10Variant variant, const gchar *address, GError **error);
GBytes *esim_es10_encode_get_rat (void);
GBytes *esim_es10_encode_get_certs (const gchar *ci_pkid_hex /* nullable */, GError **error);
GBytes *esim_es10_encode_get_eim_configuration_data (const gchar *eim_id /* nullable */);
/* Accepts a whole AddInitialEimRequest (BF57) and returns it unchanged after
 * validation, or wraps one EimConfigurationData (30) into BF57 { A0 { 30 } }. */
GBytes *esim_es10_encode_add_initial_eim (GBytes *config_der, GError **error);

/* ---- pure parsers: response TLV -> result ---- */
gchar          *esim_es10_parse_get_eid (GBytes *response, GError **error);
EsimEuiccInfo1 *esim_es10_parse_euicc_info1 (GBytes *response, GError **error);
EsimEuiccInfo2 *esim_es10_parse_euicc_info2 (GBytes *response, GError **error);
GPtrArray      *esim_es10_parse_profiles_info (GBytes *response, GError **error); /* EsimProfileInfo* */
gboolean        esim_es10_parse_enable_profile (GBytes *response, GError **error);
gboolean        esim_es10_parse_disable_profile (GBytes *response, GError **error);
gboolean        esim_es10_parse_delete_profile (GBytes *response, GError **error);
gboolean        esim_es10_parse_set_nickname (GBytes *response, GError **error);
gboolean        esim_es10_parse_memory_reset (EsimEs10Variant variant, GBytes *response, GError **error);
GPtrArray      *esim_es10_parse_list_notification (GBytes *response, GError **error); /* EsimNotificationMetadata* */
EsimNotificationList *esim_es10_parse_retrieve_notifications_list (GBytes *response, GError **error);
gboolean        esim_es10_parse_remove_notification (GBytes *response, GError **error);
EsimConfiguredAddresses *esim_es10_parse_get_configured_addresses (GBytes *response, GError **error);
gboolean        esim_es10_parse_set_default_dp_address (EsimEs10Variant variant, GBytes *response, GError **error);
GArray         *esim_es10_parse_get_rat (GBytes *response, GError **error); /* EsimRatRule */
EsimCerts      *esim_es10_parse_get_certs (GBytes *response, GError **error);
GPtrArray      *esim_es10_parse_get_eim_configuration_data (GBytes *response, GError **error); /* EsimEimConfig* */
GArray         *esim_es10_parse_add_initial_eim (GBytes *response, GError **error); /* EsimAddEimResult */
/* Parses one EimConfigurationData (30 TLV); used by the parser above and by the daemon. */
EsimEimConfig  *esim_es10_parse_eim_config (const guint8 *data, gsize len, GError **error);

/* ---- async calls over an open EsimIsdr ---- */
#define ESIM_ES10_ASYNC_ARGS GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data

void            esim_es10_get_eid (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
gchar          *esim_es10_get_eid_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_euicc_info1 (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
EsimEuiccInfo1 *esim_es10_get_euicc_info1_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_euicc_info2 (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
EsimEuiccInfo2 *esim_es10_get_euicc_info2_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_profiles_info (EsimIsdr *isdr, const EsimProfileSearch *search, ESIM_ES10_ASYNC_ARGS);
GPtrArray      *esim_es10_get_profiles_info_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_enable_profile (EsimIsdr *isdr, const gchar *iccid, gboolean refresh, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_enable_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_disable_profile (EsimIsdr *isdr, const gchar *iccid, gboolean refresh, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_disable_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_delete_profile (EsimIsdr *isdr, const gchar *iccid, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_delete_profile_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_set_nickname (EsimIsdr *isdr, const gchar *iccid, const gchar *nickname, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_set_nickname_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_memory_reset (EsimIsdr *isdr, EsimEs10Variant variant, guint options, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_memory_reset_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_list_notification (EsimIsdr *isdr, guint events, ESIM_ES10_ASYNC_ARGS);
GPtrArray      *esim_es10_list_notification_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_retrieve_notifications_list (EsimIsdr *isdr, EsimNotificationSearch search, guint64 value, ESIM_ES10_ASYNC_ARGS);
EsimNotificationList *esim_es10_retrieve_notifications_list_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_remove_notification (EsimIsdr *isdr, guint64 seq_number, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_remove_notification_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_configured_addresses (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
EsimConfiguredAddresses *esim_es10_get_configured_addresses_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_set_default_dp_address (EsimIsdr *isdr, EsimEs10Variant variant, const gchar *address, ESIM_ES10_ASYNC_ARGS);
gboolean        esim_es10_set_default_dp_address_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_rat (EsimIsdr *isdr, ESIM_ES10_ASYNC_ARGS);
GArray         *esim_es10_get_rat_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_certs (EsimIsdr *isdr, const gchar *ci_pkid_hex, ESIM_ES10_ASYNC_ARGS);
EsimCerts      *esim_es10_get_certs_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_get_eim_configuration_data (EsimIsdr *isdr, const gchar *eim_id, ESIM_ES10_ASYNC_ARGS);
GPtrArray      *esim_es10_get_eim_configuration_data_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void            esim_es10_add_initial_eim (EsimIsdr *isdr, GBytes *config_der, ESIM_ES10_ASYNC_ARGS);
GArray         *esim_es10_add_initial_eim_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);

G_END_DECLS
