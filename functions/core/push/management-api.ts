// PostToConnection through the real ApiGatewayManagementApi client. Its endpoint is the stage's callback URL
// (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`, WEBSOCKET_CALLBACK_URL); the local cloud
// points the variable at its own WebSocket server.
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ConnectionGoneError } from './notifier.js';

export function createPoster(callbackUrl: string): (connectionId: string, data: string) => Promise<void> {
  const client = new ApiGatewayManagementApiClient({ endpoint: callbackUrl });
  return async (connectionId, data) => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data) }));
    } catch (error) {
      if (error instanceof GoneException || (error as { name?: string }).name === 'GoneException') {
        throw new ConnectionGoneError(`connection ${connectionId} is gone`);
      }
      throw error;
    }
  };
}
