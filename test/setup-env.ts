// Tests never reach AWS: no instance-metadata lookups for credentials or region, whatever a test
// leaves unset.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// The SDK's "Node.js 20 support ends" notice, once per test file that creates a client: only that
// notice is silenced (@aws-sdk/core emitWarningIfUnsupportedVersion honours exactly this variable);
// every other warning still shows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
