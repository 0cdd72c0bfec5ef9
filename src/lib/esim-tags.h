/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every protocol constant in one place: ES10 function tags, the tags inside
 * the structures we build or read, ESipa message tags, ISO 7816 instruction
 * bytes and status words, and the limits the specifications set.  Shared by
 * the core library, the software eUICC and the test servers, so that a tag is
 * written once and named where it is used.
 *
 * Tags are their on-the-wire bytes (EsimTag, esim-der.h).  Sources: the
 * SGP.22 v2.5 and SGP.32 v1.2 ASN.1 modules (shared/asn1/), with the wire
 * forms checked in shared/reference/sgp32-digest.md.  A context-specific tag
 * is named after the field it carries in the structure it belongs to: the
 * same byte (0x80) means different things in different structures.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- ASN.1 universal tags ---- */
#define ESIM_TAG_BOOLEAN              0x01
#define ESIM_TAG_INTEGER              0x02
#define ESIM_TAG_BIT_STRING           0x03
#define ESIM_TAG_OCTET_STRING         0x04
#define ESIM_TAG_NULL                 0x05
#define ESIM_TAG_OID                  0x06
#define ESIM_TAG_UTF8_STRING          0x0C
#define ESIM_TAG_SEQUENCE             0x30

/* ---- identifiers and common fields ---- */
#define ESIM_TAG_ICCID                0x5A   /* [APPLICATION 26] Iccid (also eidValue, same tag) */
#define ESIM_TAG_EID                  0x5A   /* [APPLICATION 26] eidValue */
#define ESIM_TAG_TAG_LIST             0x5C   /* [APPLICATION 28] tagList */
#define ESIM_TAG_ISDP_AID             0x4F   /* [APPLICATION 15] isdpAid */
#define ESIM_TAG_SIGNATURE            0x5F37 /* [APPLICATION 55] signatures (raw r‖s) */
#define ESIM_TAG_PROFILE_INFO         0xE3   /* [PRIVATE 3] ProfileInfo */
#define ESIM_TAG_FCI                  0x6F   /* SELECT response FCI template */
#define ESIM_TAG_ISDR_PROPRIETARY     0xE0   /* [PRIVATE 0] ISD-R proprietary application template */
#define ESIM_TAG_ISDR_PROPRIETARY_IOT 0xE1   /* [PRIVATE 1] SGP.32 ISDRProprietaryApplicationTemplateIoT */
#define ESIM_TAG_TERMINAL_CAPABILITY  0xA9   /* ETSI TS 102 221 §11.1.19 terminal capability template */
#define ESIM_TAG_EUICC_TERMINAL_CAPS  0x83   /* …its eUICC-related capabilities */

/* ---- ES10a/b/c function tags (request and response share the tag) ---- */
#define ESIM_TAG_PREPARE_DOWNLOAD           0xBF21
#define ESIM_TAG_GET_EUICC_INFO1            0xBF20
#define ESIM_TAG_GET_EUICC_INFO2            0xBF22
#define ESIM_TAG_INITIALISE_SECURE_CHANNEL  0xBF23 /* first BPP segment */
#define ESIM_TAG_PROFILE_METADATA           0xBF25 /* StoreMetadataRequest */
#define ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA 0xBF27
#define ESIM_TAG_LIST_NOTIFICATION          0xBF28
#define ESIM_TAG_SET_NICKNAME               0xBF29
#define ESIM_TAG_RETRIEVE_NOTIFICATIONS     0xBF2B
#define ESIM_TAG_GET_PROFILES_INFO          0xBF2D
#define ESIM_TAG_GET_EUICC_CHALLENGE        0xBF2E
#define ESIM_TAG_NOTIFICATION_METADATA      0xBF2F
#define ESIM_TAG_REMOVE_NOTIFICATION        0xBF30
#define ESIM_TAG_ENABLE_PROFILE             0xBF31
#define ESIM_TAG_DISABLE_PROFILE            0xBF32
#define ESIM_TAG_DELETE_PROFILE             0xBF33
#define ESIM_TAG_MEMORY_RESET_SGP22         0xBF34
#define ESIM_TAG_LOAD_CRL                   0xBF35
#define ESIM_TAG_BOUND_PROFILE_PACKAGE      0xBF36
#define ESIM_TAG_PROFILE_INSTALLATION_RESULT 0xBF37
#define ESIM_TAG_AUTHENTICATE_SERVER        0xBF38
#define ESIM_TAG_GET_CONFIGURED_ADDRESSES   0xBF3C
#define ESIM_TAG_GET_EID                    0xBF3E
#define ESIM_TAG_SET_DEFAULT_DP_SGP22       0xBF3F
#define ESIM_TAG_CANCEL_SESSION             0xBF41
#define ESIM_TAG_LPAE_ACTIVATION            0xBF42
#define ESIM_TAG_GET_RAT                    0xBF43
/* SGP.32 v1.2 ES10b */
#define ESIM_TAG_LOAD_EUICC_PACKAGE         0xBF51 /* EuiccPackageRequest / EuiccPackageResult */
#define ESIM_TAG_GET_EIM_CONFIGURATION_DATA 0xBF55
#define ESIM_TAG_GET_CERTS                  0xBF56
#define ESIM_TAG_ADD_INITIAL_EIM            0xBF57
#define ESIM_TAG_PROFILE_ROLLBACK           0xBF58
#define ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE 0xBF59
#define ESIM_TAG_IMMEDIATE_ENABLE           0xBF5A
#define ESIM_TAG_ENABLE_EMERGENCY_PROFILE   0xBF5B
#define ESIM_TAG_DISABLE_EMERGENCY_PROFILE  0xBF5C
#define ESIM_TAG_EXECUTE_FALLBACK           0xBF5D
#define ESIM_TAG_RETURN_FROM_FALLBACK       0xBF5E
#define ESIM_TAG_GET_CONNECTIVITY_PARAMS    0xBF5F
#define ESIM_TAG_MEMORY_RESET_SGP32         0xBF64
#define ESIM_TAG_SET_DEFAULT_DP_SGP32       0xBF65

/* ---- inside the BoundProfilePackage (BF36), SGP.22 §5.5 ---- */
#define ESIM_TAG_BPP_CONFIGURE_ISDP_LIST    0xA0   /* firstSequenceOf87 */
#define ESIM_TAG_BPP_STORE_METADATA_LIST    0xA1   /* sequenceOf88 */
#define ESIM_TAG_BPP_REPLACE_KEYS_LIST      0xA2   /* secondSequenceOf87 (ReplaceSessionKeys) */
#define ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST  0xA3   /* sequenceOf86 */
#define ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS  0x86
#define ESIM_TAG_BPP_CONFIGURE_ISDP         0x87   /* also ReplaceSessionKeys, encrypted */
#define ESIM_TAG_BPP_STORE_METADATA         0x88   /* MAC only */

/* ---- inside the download structures (SGP.22 v2.5 RSPDefinitions, AUTOMATIC
 * TAGS: a SEQUENCE/CHOICE with no tagged member gets [0], [1]… on every
 * member; one with any tagged member keeps the universal tags of the rest).
 * Checked against AOSP EuiccPort (ctxParams1, hashCc, CancelSession) and the
 * V14 real-card ProfileInstallationResult. ---- */
/* CHOICE answers of AuthenticateServer, PrepareDownload, CancelSession */
#define ESIM_TAG_RESPONSE_OK                0xA0   /* …ResponseOk [0] */
#define ESIM_TAG_RESPONSE_ERROR             0xA1   /* authenticate/downloadResponseError [1] SEQUENCE */
#define ESIM_TAG_RESPONSE_COMPACT           0xA2   /* SGP.32 compact…Ok [2]: an IPA's form for ESipa */
#define ESIM_TAG_CANCEL_SESSION_ERROR       0x81   /* cancelSessionResponseError [1] INTEGER */
#define ESIM_TAG_ERROR_CODE                 0x02   /* authenticateErrorCode, downloadErrorCode: universal */
#define ESIM_TAG_EUICC_CHALLENGE            0x80   /* GetEuiccChallengeResponse.euiccChallenge [0] */
/* ServerSigned1, EuiccSigned1, SmdpSigned2, EUICCSigned2, error answers */
#define ESIM_TAG_TRANSACTION_ID             0x80   /* transactionId [0] */
#define ESIM_TAG_SIGNED1_EUICC_CHALLENGE    0x81   /* ServerSigned1.euiccChallenge [1] */
#define ESIM_TAG_SIGNED1_SERVER_ADDRESS     0x83   /* serverAddress [3] */
#define ESIM_TAG_SIGNED1_SERVER_CHALLENGE   0x84   /* serverChallenge [4] */
#define ESIM_TAG_CC_REQUIRED_FLAG           0x01   /* SmdpSigned2.ccRequiredFlag: universal BOOLEAN */
#define ESIM_TAG_OTPK                       0x5F49 /* [APPLICATION 73] euiccOtpk, bppEuiccOtpk, smdpOtpk */
#define ESIM_TAG_SUBJECT_KEY_ID             0x04   /* euiccCiPKIdToBeUsed: universal OCTET STRING */
#define ESIM_TAG_HASH_CC                    0x04   /* hashCc Octet32: universal, before smdpCertificate */
/* ctxParams1 (CtxParamsForCommonAuthentication) and DeviceInfo */
#define ESIM_TAG_CTX_PARAMS_COMMON_AUTH     0xA0   /* CHOICE alternative [0] */
#define ESIM_TAG_CTX_MATCHING_ID            0x80
#define ESIM_TAG_CTX_DEVICE_INFO            0xA1
#define ESIM_TAG_DEVICE_TAC                 0x80
#define ESIM_TAG_DEVICE_CAPABILITIES        0xA1
#define ESIM_TAG_DEVICE_IMEI                0x82
#define ESIM_TAG_DEVICE_CAPABILITY_BASE     0x80   /* + EsimDeviceCapability number */
/* ProfileInstallationResultData (BF27) */
#define ESIM_TAG_PIR_FINAL_RESULT           0xA2   /* finalResult [2] CHOICE: explicit */
#define ESIM_TAG_PIR_SUCCESS_RESULT         0xA0
#define ESIM_TAG_PIR_ERROR_RESULT           0xA1
#define ESIM_TAG_PIR_SIMA_RESPONSE          0x04   /* SuccessResult: universal (aid is tagged) */
#define ESIM_TAG_PIR_BPP_COMMAND_ID         0x80   /* ErrorResult: automatic */
#define ESIM_TAG_PIR_ERROR_REASON           0x81
#define ESIM_TAG_PIR_ERROR_SIMA_RESPONSE    0x82
/* CancelSessionRequest and EuiccCancelSessionSigned (both automatic) */
#define ESIM_TAG_CANCEL_TRANSACTION_ID      0x80
#define ESIM_TAG_CANCEL_REASON              0x81   /* request: reason [1] */
#define ESIM_TAG_CANCEL_SIGNED_SMDP_OID     0x81   /* signed: smdpOid [1] */
#define ESIM_TAG_CANCEL_SIGNED_REASON       0x82   /* signed: reason [2] */
/* NotificationMetadata (BF2F) */
#define ESIM_TAG_NOTIF_SEQ_NUMBER           0x80
#define ESIM_TAG_NOTIF_OPERATION            0x81
#define ESIM_TAG_NOTIF_ADDRESS              0x0C   /* universal UTF8String */
/* StoreMetadataRequest (BF25) */
#define ESIM_TAG_META_SERVICE_PROVIDER      0x91
#define ESIM_TAG_META_PROFILE_NAME          0x92
#define ESIM_TAG_META_ICON_TYPE             0x93
#define ESIM_TAG_META_PROFILE_CLASS         0x95
#define ESIM_TAG_META_NOTIFICATION_CONFIG   0xB6   /* SEQUENCE OF NotificationConfigurationInformation */
#define ESIM_TAG_META_PPR                   0x99
#define ESIM_TAG_NOTIF_CONFIG_OPERATION     0x80   /* NotificationConfigurationInformation: automatic */
#define ESIM_TAG_NOTIF_CONFIG_ADDRESS       0x81

/* ---- ESipa message tags (SGP.32 v1.2 §6; envelope alternatives) ---- */
#define ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION 0xBF39
#define ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE 0xBF3A
#define ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT  0xBF3B
#define ESIM_TAG_ESIPA_HANDLE_NOTIFICATION  0xBF3D
#define ESIM_TAG_ESIPA_CANCEL_SESSION       0xBF41
#define ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE 0xBF4E
#define ESIM_TAG_ESIPA_GET_EIM_PACKAGE      0xBF4F
#define ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT 0xBF50
#define ESIM_TAG_IPA_EUICC_DATA_REQUEST     0xBF52 /* and IpaEuiccDataResponse */
#define ESIM_TAG_EIM_ACKNOWLEDGEMENTS       0xBF53
#define ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER   0xBF54 /* request and result */
#define ESIM_TAG_EIM_PACKAGE_RECEIVED_CID   0xBF60
#define ESIM_TAG_EIM_PACKAGE_ERROR_CID      0xBF61

/* ---- ISO 7816-4 / GlobalPlatform instructions ---- */
#define ESIM_INS_MANAGE_CHANNEL       0x70
#define ESIM_INS_SELECT               0xA4
#define ESIM_INS_GET_RESPONSE         0xC0
#define ESIM_INS_STORE_DATA           0xE2
#define ESIM_INS_TERMINAL_CAPABILITY  0xAA
#define ESIM_STORE_DATA_P1_MORE       0x11   /* more blocks follow */
#define ESIM_STORE_DATA_P1_LAST       0x91   /* last block */

/* ---- status words ---- */
#define ESIM_SW_OK                    0x9000
#define ESIM_SW1_MORE_DATA            0x61   /* 61xx: xx bytes for GET RESPONSE */
#define ESIM_SW1_MORE_DATA_SIM        0x9F   /* (U)SIM form of 61xx */
#define ESIM_SW1_WRONG_LE             0x6C   /* 6Cxx: resend with Le = xx */
#define ESIM_SW1_PROACTIVE_PENDING    0x91   /* 91xx: success, a proactive command waits */
#define ESIM_SW_WRONG_LENGTH          0x6700
#define ESIM_SW_SECURITY_STATUS       0x6982
#define ESIM_SW_CONDITIONS_NOT_SATISFIED 0x6985
#define ESIM_SW_WRONG_DATA            0x6A80
#define ESIM_SW_FUNCTION_NOT_SUPPORTED 0x6A81
#define ESIM_SW_FILE_NOT_FOUND        0x6A82
#define ESIM_SW_NOT_ENOUGH_MEMORY     0x6A84
#define ESIM_SW_WRONG_P1P2            0x6A86
#define ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED 0x6881
#define ESIM_SW_INS_NOT_SUPPORTED     0x6D00
#define ESIM_SW_CLA_NOT_SUPPORTED     0x6E00
#define ESIM_SW_TECHNICAL_PROBLEM     0x6F00

/* ---- limits ---- */
#define ESIM_STORE_DATA_MAX_SEGMENT   255    /* bytes of ES10 data per STORE DATA */
#define ESIM_STORE_DATA_MAX_BLOCKS    256    /* P2 is a one-byte block number */
#define ESIM_LOGICAL_CHANNEL_MAX      19     /* ISO 7816-4 further interindustry coding */
#define ESIM_EUICC_CHALLENGE_LENGTH   16     /* Octet16 */
#define ESIM_TRANSACTION_ID_MAX_LENGTH 16    /* TransactionId OCTET STRING (SIZE(1..16)) */
#define ESIM_SIGNATURE_LENGTH         64     /* ECDSA P-256 r‖s */
#define ESIM_EID_LENGTH               16
#define ESIM_ICCID_LENGTH             10
#define ESIM_NICKNAME_MAX_LENGTH      64
#define ESIM_EIM_ID_MAX_LENGTH        128
#define ESIM_HASH_CC_LENGTH           32     /* Octet32 */
#define ESIM_TAC_LENGTH               4      /* Octet4 */
#define ESIM_IMEI_LENGTH              8      /* Octet8 */
#define ESIM_BPP_MAX_SEGMENTS         4096   /* ours: 4 MiB of 1 KiB profile element segments */

/* ISD-R application identifier (SGP.22 §2.2.3). */
#define ESIM_ISDR_AID_BYTES 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, \
                            0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00

G_END_DECLS
