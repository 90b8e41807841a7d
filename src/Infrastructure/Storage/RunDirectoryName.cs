using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// The directory name of a training run. Run ids may hold ':' ("uuid:train:0"), which Windows forbids in
/// file names, so ':' is written as "%3A". '%' never occurs in a valid run id, which makes the encoding
/// collision-free; decoding accepts only the canonical spelling (re-encoding must give the same name), so
/// every directory maps to at most one run id and back.
/// </summary>
internal static class RunDirectoryName
{
    private const string EncodedColon = "%3A";

    public static string Encode(TrainingRunId runId) => runId.Value.Replace(":", EncodedColon, StringComparison.Ordinal);

    public static bool TryDecode(string directoryName, out TrainingRunId runId)
    {
        var decoded = directoryName.Replace(EncodedColon, ":", StringComparison.Ordinal);
        if (TrainingRunId.TryParse(decoded, out runId) && string.Equals(Encode(runId), directoryName, StringComparison.Ordinal))
        {
            return true;
        }

        runId = default;
        return false;
    }
}
