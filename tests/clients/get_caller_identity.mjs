// GetCallerIdentity through the AWS SDK for JavaScript v3, against a given endpoint.
// Usage: AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… [AWS_SESSION_TOKEN=…] node get_caller_identity.mjs <endpoint-url>
// Prints one JSON object: the identity, or {"error": {...}} (then exits 1).
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const endpoint = process.argv[2];
const client = new STSClient({
  region: "us-east-1",
  endpoint,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
    sessionToken: process.env.AWS_SESSION_TOKEN, // temporary credentials: sent and signed
  },
  maxAttempts: 1, // an error must surface as the server said it, not after retries
});

try {
  const { Account, Arn, UserId } = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ Account, Arn, UserId }));
} catch (error) {
  console.log(
    JSON.stringify({
      error: {
        Code: error.name,
        Message: error.message,
        HTTPStatusCode: error.$metadata?.httpStatusCode,
        RequestId: error.$metadata?.requestId,
      },
    }),
  );
  process.exitCode = 1;
}
