export const handler = async () => {
  throw new Error('workers/validation handler is not built yet');
};
