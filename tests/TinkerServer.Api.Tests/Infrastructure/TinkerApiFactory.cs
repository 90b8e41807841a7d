using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace TinkerServer.Api.Tests.Infrastructure;

/// <summary>
/// The real server in memory, on a temp directory of its own: SQLite file, checkpoint root and a canary
/// file beside the root that no request may touch. Time is a fake clock the test moves.
/// </summary>
public class TinkerApiFactory : WebApplicationFactory<Program>
{
    private readonly bool _fakeTime;

    public TinkerApiFactory()
        : this(fakeTime: true)
    {
    }

    /// <param name="fakeTime">False for tests that run the engine and long-polls, which wait on real time.</param>
    protected TinkerApiFactory(bool fakeTime, string? rootDirectory = null)
    {
        _fakeTime = fakeTime;
        RootDirectory = rootDirectory ?? Directory.CreateTempSubdirectory("tinker-api-").FullName;
        _ownsRoot = rootDirectory is null;
        Directory.CreateDirectory(CheckpointRoot);
        if (!File.Exists(CanaryPath))
        {
            File.WriteAllText(CanaryPath, CanaryContent);
        }
    }

    public const string CanaryContent = "canary: must never be read, changed or removed";

    private readonly bool _ownsRoot;

    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string CheckpointRoot => Path.Combine(DataDirectory, "checkpoints");

    /// <summary>A file beside the checkpoint root: "../canary.txt" seen from the root.</summary>
    public string CanaryPath => Path.Combine(DataDirectory, "canary.txt");

    /// <summary>Extra configuration, e.g. short timeouts; set before the first client is created.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("TinkerServer:DataDirectory", DataDirectory);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }

        if (_fakeTime)
        {
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Time);
            });
        }
    }

    public T WithScope<T>(Func<IServiceProvider, T> action)
    {
        using var scope = Services.CreateScope();
        return action(scope.ServiceProvider);
    }

    public async Task WithScopeAsync(Func<IServiceProvider, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsRoot)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open must not fail the test run; the OS temp cleaner takes it.
            }
        }
    }
}
