using System.Formats.Tar;

namespace TinkerServer.Infrastructure.Tests.Storage;

internal static class TarTestHelpers
{
    /// <summary>Entry name → data (empty for directories), in archive order, as System.Formats.Tar reads them.</summary>
    public static OrderedDictionary<string, byte[]> ReadEntries(byte[] tar)
    {
        var result = new OrderedDictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            result.Add(entry.Name, data.ToArray());
        }

        return result;
    }
}
