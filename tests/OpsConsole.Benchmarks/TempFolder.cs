namespace OpsConsole.Benchmarks;

internal static class TempFolder
{
    /// <summary>Deletes the folder, retrying briefly: a just-killed app may still hold its files for a moment.</summary>
    public static void Delete(string path)
    {
        for (var attempt = 0; attempt < 10 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}
