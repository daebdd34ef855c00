export const handler = async () => {
  throw new Error('workers/write handler is not built yet');
};
