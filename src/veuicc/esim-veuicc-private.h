/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the software eUICC shared by its source files:
 *   esim-veuicc.c          GObject, APDU layer (channels, SELECT, STORE DATA, GET RESPONSE)
 *   esim-veuicc-state.c    persistent state: demo content, key file load/validate/save
 *   esim-veuicc-es10.c     the ES10 functions (request TLV -> response TLV)
 *   esim-veuicc-crypto.c   credentials or EUM/eUICC keys of its own, signatures
 *   esim-veuicc-download.c the RSP session: AuthenticateServer, PrepareDownload, CancelSession
 *   esim-veuicc-bpp.c      LoadBoundProfilePackage: segments, metadata, install, its result
 *   esim-veuicc-eim.c      eIM configurations: AddInitialEim, GetEimConfigurationData, the
 *                          eCOs, eimSignature verification
 *   esim-veuicc-package.c  LoadEuiccPackage and its PSMOs, signed EuiccPackageResults,
 *                          ProfileRollback, ImmediateEnable, ConfigureImmediateProfileEnabling
 */
#pragma once

#include <gio/gio.h>

#include "esim-bsp.h"
#include "esim-cert.h"
#include "esim-der.h"
#include "esim-ecka.h"
#include "esim-file.h"
#include "esim-tags.h"
#include "esim-veuicc.h"

G_BEGIN_DECLS

/* Logical channels 0 (basic) to 3. */
#define VEUICC_N_CHANNELS 4
/* Current version of the state file format. */
#define VEUICC_STATE_VERSION 1
/* Bounds that keep a hostile state file or request from growing the card without limit. */
#define VEUICC_MAX_PROFILES 64
/* The most profile element bytes one download may bring (a profile is tens of KiB) */
#define VEUICC_MAX_PROFILE_SIZE (1024 * 1024)
/* Free NVM the card reports per profile it still has room for (extCardResource) */
#define VEUICC_NVM_PER_PROFILE 0x10000u
/* forbiddenProfilePolicyRules of EUICCInfo2: ppr1 (disabling not allowed) */
#define VEUICC_FORBIDDEN_PPRS (1u << 1)
#define VEUICC_MAX_EIMS 8
#define VEUICC_MAX_NOTIFICATIONS 256
/* signed EuiccPackageResults kept until acknowledged; at the limit the oldest goes */
#define VEUICC_MAX_PACKAGE_RESULTS 32
/* the largest counterValue this card takes: the least SGP.32 §2.11.1.1 allows */
#define VEUICC_MAX_COUNTER_VALUE ESIM_EIM_COUNTER_MINIMUM_MAX
/* A full card's file is a few hundred KiB at most (8 eIMs with certificates, 256 notifications) */
#define VEUICC_MAX_STATE_FILE_SIZE (1024 * 1024)
/* Functions a test may make the card refuse ([faults] in the state file) */
#define VEUICC_MAX_FAULTS 32

#define VEUICC_ROOT_DS_DEFAULT "testrootsmds.example.com"
#define VEUICC_NOTIFICATION_ADDRESS_DEFAULT "smdp.example.com"

/* ProfileClass (SGP.22) */
typedef enum {
	VEUICC_CLASS_TEST = 0,
	VEUICC_CLASS_PROVISIONING = 1,
	VEUICC_CLASS_OPERATIONAL = 2,
} VeuiccProfileClass;

/* NotificationEvent named bits (SGP.22) */
typedef enum {
	VEUICC_EVENT_INSTALL = 0,
	VEUICC_EVENT_ENABLE = 1,
	VEUICC_EVENT_DISABLE = 2,
	VEUICC_EVENT_DELETE = 3,
} VeuiccEvent;
#define VEUICC_N_EVENTS 4

typedef struct {
	gchar             *iccid;      /* digits, as given */
	guint8             iccid_bcd[10];
	guint8             aid[16];    /* ISD-P AID */
	gchar             *name;
	gchar             *provider;
	gchar             *nickname;   /* NULL when unset */
	/* where each VeuiccEvent is notified (notificationConfigurationInfo of the
	 * metadata); NULL: that event is not notified */
	gchar             *event_address[VEUICC_N_EVENTS];
	VeuiccProfileClass klass;
	gboolean           enabled;
	gboolean           preloaded;  /* part of the card at manufacture (memory reset bit 3) */
	gboolean           fallback_allowed;   /* metadata fallbackAllowed (SGP.32 9F67) */
	gboolean           fallback_attribute; /* the Fallback Profile (9F26); one at most */
} VeuiccProfile;

typedef struct {
	guint64     seq;
	VeuiccEvent event;
	gchar      *iccid;           /* may be NULL */
	gchar      *address;
	guint8      signature[64];   /* r || s over the DER of the BF2F metadata */
	GBytes     *pir;             /* install: the signed ProfileInstallationResult (BF37) as
	                              * it was returned; NULL for an OtherSignedNotification */
} VeuiccNotification;

typedef struct {
	GBytes  *config;             /* EimConfigurationData (30 …) as received */
	gchar   *eim_id;
	gboolean has_token;          /* the eIM asked for an association token */
	gint64   token;
	gboolean has_counter;        /* the card holds a counterValue: the configuration's
	                              * initial one, then that of the last package accepted */
	gint64   counter;
} VeuiccEim;

/* A signed EuiccPackageResult, listed until the IPA removes it (SGP.32 §3.3.1) */
typedef struct {
	guint64  seq;
	GBytes  *result;             /* BF51 as the card returned it */
} VeuiccPackageResult;

/* The way back that an enable PSMO with rollbackFlag granted (SGP.32 §3.3.2):
 * the profile enabled before, and the package that granted it. */
typedef struct {
	gchar   *iccid;
	gchar   *eim_id;
	gint64   counter;
	GBytes  *transaction_id;     /* NULL: the package had none */
	guint64  result_seq;         /* that package's EuiccPackageResult */
} VeuiccRollback;

/* A refusal a test asked for: the card answers this ES10 function with @sw, or
 * (sw 0) with an error result code, whatever the request. */
typedef struct {
	EsimTag tag;
	guint16 sw;
} VeuiccFault;

typedef struct _VeuiccCrypto VeuiccCrypto;
typedef struct _VeuiccDownload VeuiccDownload;
typedef struct _VeuiccBppLoad VeuiccBppLoad;

typedef struct {
	gboolean    open;
	gboolean    isdr_selected;
	GByteArray *request;         /* STORE DATA blocks received so far, NULL when idle */
	guint       next_block;
	GBytes     *pending;         /* response waiting for GET RESPONSE */
	gsize       pending_offset;
} VeuiccChannel;

struct _EsimVeuicc {
	GObject        parent_instance;
	gchar         *path;         /* NULL when ephemeral; symbolic links resolved */
	EsimFileId     file_id;      /* of the file at @path as last read or written */
	gchar         *eid;
	GPtrArray     *profiles;     /* VeuiccProfile */
	GPtrArray     *notifications; /* VeuiccNotification, ascending seq */
	GPtrArray     *eims;         /* VeuiccEim */
	guint64        next_seq;     /* never reused, persisted */
	gint64         next_token;
	gchar         *default_dp_address; /* NULL when unset */
	gchar         *root_ds_address;
	VeuiccCrypto  *crypto;
	gchar         *credentials;  /* [card] credentials as written (NULL: keys of its own) */
	guint          max_profiles; /* profiles the card has room for */
	gboolean       from_seed;    /* loaded from a seed file: to be saved in full */
	VeuiccDownload *download;    /* RSP session (volatile); NULL until the first challenge */
	VeuiccBppLoad *bpp_load;     /* a bound profile package being loaded; NULL otherwise */
	GArray        *faults;       /* VeuiccFault, from [faults]; kept as loaded */
	GPtrArray     *package_results; /* VeuiccPackageResult, ascending seq */
	VeuiccRollback *rollback;    /* NULL: no rollback granted */
	/* configureImmediateEnable / ConfigureImmediateProfileEnabling (SGP.32 §3.4.4) */
	gboolean       immediate_enable;
	GBytes        *immediate_enable_smdp_oid;     /* the OID's DER value; NULL: none */
	gchar         *immediate_enable_smdp_address; /* NULL: none */
	gchar         *installed_iccid; /* volatile: the profile the last download installed,
	                                 * which ImmediateEnable may enable; NULL: none */
	gchar         *saved_state;  /* the key file as the disk holds it; NULL when ephemeral */
	VeuiccChannel  channels[VEUICC_N_CHANNELS];
};

/* esim-veuicc-state.c */
void           veuicc_profile_free (VeuiccProfile *profile);
void           veuicc_notification_free (VeuiccNotification *notification);
void           veuicc_eim_free (VeuiccEim *eim);
void           veuicc_package_result_free (VeuiccPackageResult *result);
void           veuicc_rollback_free (VeuiccRollback *rollback);
/* A new card: keys of its own and a fresh EID (or @eid), or (@credentials not
 * NULL) the identity of those credentials; two demo profiles. */
gboolean       veuicc_state_init_fresh (EsimVeuicc *self, const gchar *credentials, const gchar *eid,
                                        GError **error);
/* Loads the credentials @dir names (relative to the state file's directory when
 * relative) into self->crypto. */
gboolean       veuicc_state_load_credentials (EsimVeuicc *self, const gchar *dir, GError **error);
/* Loads self->path; FALSE with *missing set (and no error) when there is no file. */
gboolean       veuicc_state_load (EsimVeuicc *self, gboolean *missing, GError **error);
/* Deletes the temporaries a killed save left next to self->path, and names
 * older ones it cannot tell from a user's copy. */
void           veuicc_state_remove_leftovers (EsimVeuicc *self);
gboolean       veuicc_state_save (EsimVeuicc *self, GError **error);
/* Saves a change; if that fails, the state last saved is put back in memory, so
 * the card never holds a change its file does not. */
gboolean       veuicc_state_commit (EsimVeuicc *self, GError **error);
/* Puts the state last saved back in memory (a change that could not be finished). */
void           veuicc_state_revert (EsimVeuicc *self);
/* Wipes and frees the copy of the saved key file (it holds the private keys). */
void           veuicc_state_clear_saved (EsimVeuicc *self);
VeuiccProfile *veuicc_find_profile_by_iccid_bcd (EsimVeuicc *self, const guint8 *bcd, gsize len);
VeuiccProfile *veuicc_find_profile_by_aid (EsimVeuicc *self, const guint8 *aid, gsize len);
VeuiccProfile *veuicc_find_enabled_profile (EsimVeuicc *self);
const VeuiccFault *veuicc_find_fault (EsimVeuicc *self, EsimTag tag);
gboolean       veuicc_add_profile_full (EsimVeuicc *self, const gchar *iccid, const gchar *name,
                                        const gchar *provider, VeuiccProfileClass klass,
                                        gboolean enabled, gboolean preloaded, GError **error);
/* Queues the signed notification of @event for @profile, if its metadata asks
 * for one (TRUE and nothing queued otherwise). */
gboolean       veuicc_queue_notification (EsimVeuicc *self, VeuiccEvent event,
                                          const VeuiccProfile *profile, GError **error);
/* Queues a ProfileInstallationResult (BF37) whose metadata is @notification's;
 * takes @notification. */
void           veuicc_queue_installation_result (EsimVeuicc *self, VeuiccNotification *notification);
GBytes        *veuicc_notification_metadata (const VeuiccNotification *notification);
gboolean       veuicc_parse_profile_class (const gchar *str, VeuiccProfileClass *out);
/* Validates an EimConfigurationData (30 TLV, or the [8]/[10] of an eCO); fills
 * @eim (config not set).  G_IO_ERROR_INVALID_ARGUMENT: a counterValue out of
 * range (below 0 or above VEUICC_MAX_COUNTER_VALUE). */
gboolean       veuicc_eim_config_parse (const EsimTlv *tlv, VeuiccEim *eim, GBytes **ci_pkid,
                                        GError **error);
/* Appends a signed EuiccPackageResult to the list (dropping the oldest at the limit). */
void           veuicc_add_package_result (EsimVeuicc *self, guint64 seq, GBytes *result);

/* esim-veuicc-es10.c */
/* Runs one ES10 function.  Returns the response TLV (possibly empty) and sets *sw
 * to 9000, or returns NULL and sets *sw to an ISO status word. */
GBytes        *veuicc_es10_dispatch (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw);
/* The card's EUICCInfo2 (BF22), as GetEUICCInfo2 answers and euiccSigned1 carries it. */
GBytes        *veuicc_es10_euicc_info2 (EsimVeuicc *self);
/* Persists a change; FALSE (and *sw = 6581) when the card's file cannot take it,
 * after which the caller must return at once (the state was rolled back). */
gboolean       veuicc_es10_commit (EsimVeuicc *self, guint16 *sw);
/* Queues the notification of a state change of @profile (if its metadata asks for one). */
void           veuicc_es10_notify (EsimVeuicc *self, VeuiccEvent event, const VeuiccProfile *profile);
/* The children of @parent (at most @max); FALSE if malformed or more. */
gboolean       veuicc_tlv_children (const EsimTlv *parent, EsimTlv *out, guint max, guint *n_out);
/* Exactly the children tagged @tags, in that order. */
gboolean       veuicc_tlv_exact_children (const EsimTlv *parent, EsimTlv *out, const EsimTag *tags,
                                          guint n_tags);
/* A ProfileInfoListResponse (BF2D) for a ProfileInfoListRequest @request (its
 * tag is not looked at).  Without a tagList: ES10c GetProfilesInfo's fields, or
 * (@iot_defaults) those SGP.32 §2.11.1.1.3 names for the listProfileInfo PSMO. */
GBytes        *veuicc_es10_profile_info_list (EsimVeuicc *self, const EsimTlv *request,
                                              gboolean iot_defaults);
/* The RulesAuthorisationTable (SEQUENCE OF rules) under @tag. */
void           veuicc_es10_put_rat (EsimDerWriter *writer, EsimTag tag);

/* esim-veuicc-eim.c: eIM configurations */
VeuiccEim     *veuicc_find_eim (EsimVeuicc *self, const gchar *eim_id);
/* The associationToken data object signatures cover: 84 L token, 84 01 00 without one
 * (SGP.32 §2.11.1.1, §2.11.1.2; digest §3.5). */
void           veuicc_eim_put_token (EsimDerWriter *writer, gboolean has_token, gint64 token);
/* Verifies an eimSignature (raw r‖s) over @data ‖ the eIM's associationToken with
 * its eimPublicKeyData. */
gboolean       veuicc_eim_verify (const VeuiccEim *eim, const guint8 *data, gsize len,
                                  const guint8 *signature, gsize signature_len, GError **error);
GBytes        *veuicc_eim_get_configuration (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_eim_add_initial (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
/* Runs one eCO of a package, writing its EuiccResultData; returns its result code
 * (0: carried out, lastEimDeleted included), or processingTerminated's for an eCO
 * this card does not know or cannot read. */
gint           veuicc_eim_run_eco (EsimVeuicc *self, const EsimTlv *eco, EsimDerWriter *writer);

/* esim-veuicc-package.c: LoadEuiccPackage and what goes with it (SGP.32 §3.3, §5.9) */
GBytes        *veuicc_package_load (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
/* The unsigned undefinedError a card gives a package it refuses unread ([faults]). */
GBytes        *veuicc_package_refuse (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_package_rollback (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_package_immediate_enable (EsimVeuicc *self, const EsimTlv *request,
                                                guint16 *sw);
GBytes        *veuicc_package_configure_immediate (EsimVeuicc *self, const EsimTlv *request,
                                                   guint16 *sw);
/* Notes the profile a ProfileInstallationResult says was installed (ImmediateEnable). */
void           veuicc_package_observe_install (EsimVeuicc *self, GBytes *response);

/* esim-veuicc-download.c: the RSP session (SGP.22 §3.1.3, §5.7) */
void           veuicc_download_free (VeuiccDownload *download);
/* Drops the session (card reset, new challenge, end of a download). */
void           veuicc_download_end_session (EsimVeuicc *self);
/* GetEuiccChallenge: a new session with a fresh challenge. */
GBytes        *veuicc_download_get_challenge (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_download_authenticate_server (EsimVeuicc *self, const EsimTlv *request,
                                                    guint16 *sw);
GBytes        *veuicc_download_prepare_download (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
GBytes        *veuicc_download_cancel_session (EsimVeuicc *self, const EsimTlv *request, guint16 *sw);
/* DER of a dotted OID's value (for smdpOid); NULL if @dotted is not one. */
GBytes        *veuicc_oid_encode (const gchar *dotted);

/* What LoadBoundProfilePackage needs of the session PrepareDownload left. */
typedef struct {
	GBytes      *transaction_id;
	const gchar *server_address;
	const gchar *smdp_oid;       /* of the DPpb certificate */
	EsimCert    *dp_pb;
	EsimEckaKey *ot_key;         /* otSK/otPK.EUICC.ECKA */
} VeuiccPrepared;
/* The prepared session; FALSE when PrepareDownload did not succeed in this one. */
gboolean       veuicc_download_get_prepared (EsimVeuicc *self, VeuiccPrepared *out);
/* The install of the prepared session succeeded: the one-time key is spent. */
void           veuicc_download_installed (EsimVeuicc *self);

/* esim-veuicc-bpp.c: LoadBoundProfilePackage (SGP.22 §5.7.6, segments per §2.5.5) */
void           veuicc_bpp_load_free (VeuiccBppLoad *load);
/* TRUE when @data is a segment of a bound profile package for this card: a
 * BF36 header, or any segment while a package is being loaded. */
gboolean       veuicc_bpp_is_segment (EsimVeuicc *self, const guint8 *data, gsize len);
GBytes        *veuicc_bpp_load_segment (EsimVeuicc *self, const guint8 *data, gsize len, guint16 *sw);
/* Abandons a package being loaded (nothing of it stays on the card). */
void           veuicc_bpp_abandon (EsimVeuicc *self);
/* For the fuzz target only: a package under way as if its InitialiseSecureChannel
 * had been verified, protected with @keys, @bpp_left bytes of BF36 to come. */
void           veuicc_bpp_begin_unverified (EsimVeuicc *self, const EsimBspKeys *keys, gsize bpp_left);

/* StoreMetadataRequest (BF25) as the card reads it. */
typedef struct {
	gchar              *iccid;
	gchar              *name;
	gchar              *provider;
	VeuiccProfileClass  klass;
	gchar              *event_address[VEUICC_N_EVENTS];
	guint32             ppr_ids;
} VeuiccMetadata;
void           veuicc_metadata_free (VeuiccMetadata *meta);
/* Strict parse; on failure *@reason (optional) is the ErrorReason a card gives:
 * incorrectInputValues (1) or unsupportedProfileClass (6). */
VeuiccMetadata *veuicc_metadata_parse (const guint8 *data, gsize len, guint *reason, GError **error);
/* The ICCID of a profile's ProfileHeader (the first profile element), checking
 * that the elements are well-formed TLVs ending with PE-End. */
gchar         *veuicc_profile_elements_iccid (const guint8 *data, gsize len, GError **error);
/* esim-veuicc-crypto.c */
VeuiccCrypto  *veuicc_crypto_generate (const gchar *eid, GError **error);
VeuiccCrypto  *veuicc_crypto_new_from_credentials (const gchar *dir, GError **error);
/* NULL for keys of its own */
const gchar   *veuicc_crypto_get_credentials_dir (VeuiccCrypto *crypto);
const gchar   *veuicc_crypto_get_credentials_eid (VeuiccCrypto *crypto);
VeuiccCrypto  *veuicc_crypto_load (const gchar *eum_key_pem, const gchar *eum_cert_pem,
                                   const gchar *euicc_key_pem, const gchar *euicc_cert_pem,
                                   const gchar *eid, GError **error);
void           veuicc_crypto_free (VeuiccCrypto *crypto);
const gchar   *veuicc_crypto_get_pem (VeuiccCrypto *crypto, guint idx); /* 0..3 as in _load(); NULL for credentials */
GBytes        *veuicc_crypto_get_eum_certificate (VeuiccCrypto *crypto);   /* DER */
GBytes        *veuicc_crypto_get_euicc_certificate (VeuiccCrypto *crypto); /* DER */
GPtrArray     *veuicc_crypto_get_ci_pkids (VeuiccCrypto *crypto);          /* GBytes, owned */
gboolean       veuicc_crypto_has_ci_pkid (VeuiccCrypto *crypto, const guint8 *pkid, gsize len);
GPtrArray     *veuicc_crypto_get_cis (VeuiccCrypto *crypto);               /* EsimCert, owned */
gboolean       veuicc_crypto_sign (VeuiccCrypto *crypto, const guint8 *data, gsize len,
                                   guint8 signature[64], GError **error);
void           veuicc_crypto_random (guint8 *buf, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccCrypto, veuicc_crypto_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccProfile, veuicc_profile_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccNotification, veuicc_notification_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccMetadata, veuicc_metadata_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccEim, veuicc_eim_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VeuiccRollback, veuicc_rollback_free)

G_END_DECLS
