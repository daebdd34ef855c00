export const handler = async () => {
  throw new Error('saga-steps/purchase-order handler is not built yet');
};
