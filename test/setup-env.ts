// Tests never reach AWS: no instance-metadata lookups for credentials or region, whatever a test
// leaves unset.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
