from newswatch.entry import main

main()
