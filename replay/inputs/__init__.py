"""Reading inputs: cable files, directories, standard input and Cablegate CSV exports."""
